//! 导入台账: upload a ledger sheet, see every row's problems (row number and reason, in
//! the user's language), and import all of it or nothing.

use super::api::{ConfirmImport, import_batch};
use super::{IMPORT_PATH, RowProblem};
use crate::AppError;
use crate::auth::{Role, current_user};
use crate::i18n::*;
use crate::ui::errors::PageError;
use crate::ui::frame::AppFrame;
use crate::ui::notice::{ErrorNotice, SuccessNotice, query_value};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

fn problem_text(l: Locale, p: &RowProblem) -> String {
    let what = match p.problem.as_str() {
        "missing" => td_string!(l, import.missing),
        "unknown_unit" => td_string!(l, import.unknown_unit),
        "district_mismatch" => td_string!(l, import.district_mismatch),
        "bad_date" => td_string!(l, import.bad_date),
        "deadline_before_found" => td_string!(l, import.deadline_before_found),
        "unknown_category" => td_string!(l, import.unknown_category),
        "unknown_source" => td_string!(l, import.unknown_source),
        "unknown_nature" => td_string!(l, import.unknown_nature),
        "unknown_owner" => td_string!(l, import.unknown_owner),
        "ambiguous_owner" => td_string!(l, import.ambiguous_owner),
        "too_long" => td_string!(l, import.too_long),
        "missing_column" => td_string!(l, import.missing_column),
        "no_rows" => td_string!(l, import.no_rows),
        "too_many_rows" => td_string!(l, import.too_many_rows),
        "unreadable" => td_string!(l, import.unreadable),
        _ => td_string!(l, import.rule),
    }
    .to_string();
    let mut text = String::new();
    if p.row > 0 {
        text.push_str(&td_string!(l, import.row, row = p.row).to_string());
        text.push(' ');
    }
    if !p.column.is_empty() {
        text.push_str(&format!("「{}」", p.column));
    }
    text.push_str(&what);
    if !p.value.is_empty() {
        text.push_str(&format!(":{}", p.value));
    }
    text
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    };
    if !matches!(user.role, Role::CentralOffice | Role::BusinessDivision) {
        return view! { <PageError error=AppError::Forbidden /> }.into_any();
    }
    let i18n = use_i18n();
    let batch = query_value("batch");
    let preview = Resource::new(
        move || batch.clone(),
        |b| async move {
            if b.is_empty() {
                Ok(None)
            } else {
                import_batch(b).await.map(Some)
            }
        },
    );
    view! {
        <AppFrame user>
            <h1>{t!(i18n, import.title)}</h1>
            <SuccessNotice flag="imported">{move || t!(i18n, import.done)}</SuccessNotice>
            <ErrorNotice />
            <form method="post" action=IMPORT_PATH enctype="multipart/form-data" class="card stack" data-testid="import-form">
                <p class="hint">{t!(i18n, import.hint)}</p>
                <label><span>{t!(i18n, import.file)}</span>
                    <input type="file" name="file" required accept=".xlsx,.xls,.ods,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" />
                </label>
                <button type="submit" class="button primary">{t!(i18n, import.check)}</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let l = i18n.get_locale_untracked();
                    match preview.await {
                        Ok(None) => ().into_any(),
                        Ok(Some(p)) => {
                            let clean = p.problems.is_empty() && !p.rows.is_empty();
                            view! {
                                <section class="card" data-testid="import-preview">
                                    <h2>{p.file_name.clone()}</h2>
                                    <p data-testid="import-summary">{td_string!(l, import.summary, rows = p.rows.len(), problems = p.problems.len()).to_string()}</p>
                                    {(!p.problems.is_empty()).then(|| view! {
                                        <div class="notice notice-error" role="alert">
                                            <strong>{t!(i18n, import.fix_first)}</strong>
                                            <ul data-testid="import-problems">
                                                {p.problems.iter().map(|x| view! { <li data-row=x.row.to_string() data-problem=x.problem.clone()>{problem_text(l, x)}</li> }).collect_view()}
                                            </ul>
                                        </div>
                                    })}
                                    {(!p.imported.is_empty()).then(|| view! {
                                        <p data-testid="import-numbers">{td_string!(l, import.numbers, count = p.imported.len()).to_string()} " " <span class="mono">{p.imported.join(", ")}</span></p>
                                        <p><a class="button" href="/ledger?status=registered&sort=number">{t!(i18n, import.to_ledger)}</a></p>
                                    })}
                                    <div class="table-scroll">
                                        <table class="table">
                                            <thead><tr><th>{t!(i18n, import.row_header)}</th><th>{t!(i18n, fields.unit)}</th><th>{t!(i18n, fields.description)}</th><th>{t!(i18n, fields.found_on)}</th><th>{t!(i18n, fields.deadline)}</th><th>{t!(i18n, fields.head_name)}</th></tr></thead>
                                            <tbody>
                                                {p.rows.iter().map(|r| view! { <tr><td>{r.row}</td><td>{r.unit_name.clone()}</td><td>{r.description.clone()}</td><td>{r.found_on.clone()}</td><td>{r.deadline.clone()}</td><td>{r.owner.clone()}</td></tr> }).collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                    {(clean && p.imported.is_empty()).then(|| view! {
                                        <form method="post" action=ConfirmImport::PATH>
                                            <input type="hidden" name="batch" value=p.batch.clone() />
                                            <button type="submit" class="button primary" data-testid="confirm-import">{td_string!(l, import.confirm, count = p.rows.len()).to_string()}</button>
                                        </form>
                                    })}
                                </section>
                            }.into_any()
                        }
                        Err(e) => view! { <PageError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </AppFrame>
    }
    .into_any()
}
