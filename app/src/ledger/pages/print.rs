//! Print views (A4): the rectification notice (整改通知书) and the reconciliation-and-
//! closure sheet (对账销号单). No app frame: what prints is the document.

use crate::AppError;
use crate::auth::current_user;
use crate::i18n::*;
use crate::ledger::ItemDetail;
use crate::ledger::api::load_item_detail;
use crate::ledger::calendar::local_stamp;
use crate::ui::errors::PageError;
use crate::ui::labels::{co_signer_label, entry_name, nature_label, status_label};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

fn load() -> Resource<Result<ItemDetail, AppError>> {
    let id = use_params_map()
        .with_untracked(|p| p.get("id"))
        .unwrap_or_default();
    Resource::new(move || id.clone(), load_item_detail)
}

#[component]
fn PrintBar(id: String) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <p class="no-print button-row">
            <a class="button" href=format!("/items/{id}")>{t!(i18n, ledger.back)}</a>
            <button type="button" class="button primary" onclick="window.print()">{t!(i18n, ledger.print)}</button>
        </p>
    }
}

#[component]
pub fn NoticePage() -> impl IntoView {
    if current_user().is_none() {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    }
    let i18n = use_i18n();
    let detail = load();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let l = i18n.get_locale_untracked();
                match detail.await {
                    Ok(d) => view! {
                        <main class="print-page" data-testid="notice">
                            <PrintBar id=d.summary.id.clone() />
                            <h1 class="print-title">{t!(i18n, ledger.notice_title)}</h1>
                            <p class="mono print-number">{d.summary.number.clone()}</p>
                            <p><strong>{d.summary.unit_name.clone()}</strong>":"</p>
                            <p class="print-body">{t!(i18n, ledger.notice_body)}</p>
                            <table class="print-table">
                                <tr><th>{t!(i18n, fields.category)}</th><td>{entry_name(l, &d.summary.category)}</td></tr>
                                <tr><th>{t!(i18n, fields.nature)}</th><td>{nature_label(l, d.summary.nature)}</td></tr>
                                <tr><th>{t!(i18n, fields.description)}</th><td>{d.summary.description.clone()}</td></tr>
                                <tr><th>{t!(i18n, fields.legal_basis)}</th><td>{d.legal_basis.clone()}</td></tr>
                                <tr><th>{t!(i18n, fields.quantity)}</th><td>{d.quantity_baseline.map(|q| q.to_string())}</td></tr>
                                <tr><th>{t!(i18n, fields.deadline)}</th><td>{d.summary.original_deadline.clone()}</td></tr>
                                <tr><th>{t!(i18n, fields.head_name)}</th><td>{d.summary.head_name.clone()}</td></tr>
                                <tr><th>{t!(i18n, fields.handler_name)}</th><td>{d.handler_name.clone()} " " {d.handler_phone.clone()}</td></tr>
                            </table>
                            <p class="print-sign">{t!(i18n, ledger.issuer)}<br />{d.registered_at.get(..10).unwrap_or_default().to_string()}</p>
                        </main>
                    }.into_any(),
                    Err(e) => view! { <PageError error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
pub fn ClosureSheetPage() -> impl IntoView {
    if current_user().is_none() {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    }
    let i18n = use_i18n();
    let detail = load();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let l = i18n.get_locale_untracked();
                match detail.await {
                    Ok(d) => {
                        let on_time = d.summary.closed_on_time.map(|t| if t { t_string!(i18n, ledger.yes).to_string() } else { t_string!(i18n, ledger.no).to_string() });
                        view! {
                        <main class="print-page" data-testid="closure-sheet">
                            <PrintBar id=d.summary.id.clone() />
                            <h1 class="print-title">{t!(i18n, ledger.closure_title)}</h1>
                            <p class="mono print-number">{d.summary.number.clone()}</p>
                            <table class="print-table">
                                <tr><th>{t!(i18n, fields.unit)}</th><td>{d.summary.unit_name.clone()}</td></tr>
                                <tr><th>{t!(i18n, fields.description)}</th><td>{d.summary.description.clone()}</td></tr>
                                <tr><th>{t!(i18n, ledger.original_deadline)}</th><td>{d.summary.original_deadline.clone()}</td></tr>
                                <tr><th>{t!(i18n, ledger.approved_deadline)}</th><td>{d.summary.approved_deadline.clone()}</td></tr>
                                <tr><th>{t!(i18n, ledger.status)}</th><td>{status_label(l, d.summary.status)}</td></tr>
                                <tr><th>{t!(i18n, ledger.closed_on)}</th><td>{d.closed_on.clone()}</td></tr>
                                <tr><th>{t!(i18n, ledger.on_time_q)}</th><td>{on_time}</td></tr>
                                <tr><th>{t!(i18n, ledger.plan)}</th><td>
                                    <ol>{d.measures.iter().map(|m| view! { <li>{m.what.clone()} " (" {m.owner.clone()} ", " {m.due.clone()} {m.done_on.clone().map(|x| format!(" ✓ {x}"))} ")"</li> }).collect_view()}</ol>
                                </td></tr>
                                <tr><th>{t!(i18n, ledger.closure_note)}</th><td>{d.closure_note.clone()}</td></tr>
                            </table>
                            <h2>{t!(i18n, ledger.acceptance)}</h2>
                            <table class="print-table">
                                <tr><th>{t!(i18n, fields.co_signers)}</th><th>{t!(i18n, fields.opinion)}</th><th>{t!(i18n, ledger.signature)}</th><th>{t!(i18n, ledger.date)}</th></tr>
                                {d.acceptance.iter().map(|c| view! {
                                    <tr>
                                        <td>{co_signer_label(l, c.co_signer)}</td>
                                        <td>{c.opinion.clone()}</td>
                                        <td>{c.by_name.clone()}</td>
                                        <td>{(!c.at.is_empty()).then(|| local_stamp(&c.at))}</td>
                                    </tr>
                                }).collect_view()}
                            </table>
                        </main>
                    }.into_any()
                    }
                    Err(e) => view! { <PageError error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
    .into_any()
}
