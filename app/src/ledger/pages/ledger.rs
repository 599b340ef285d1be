//! The central ledger: filters, search, sort and pages; a table on a desk, cards on a
//! phone (the same markup, laid out by CSS).

use super::DeadlineChip;
use crate::AppError;
use crate::auth::{Role, current_user};
use crate::i18n::*;
use crate::ledger::api::{LedgerChoices, ledger_page, load_ledger_choices};
use crate::ledger::lifecycle::{Nature, Status};
use crate::ledger::{ItemFilter, ItemPage};
use crate::ui::errors::PageError;
use crate::ui::frame::AppFrame;
use crate::ui::labels::{action_label, entry_name, nature_label, status_label};
use crate::ui::notice::query_value;
use leptos::prelude::*;

fn filter_from_query() -> ItemFilter {
    ItemFilter {
        district: query_value("district"),
        unit: query_value("unit"),
        category: query_value("category"),
        source: query_value("source"),
        nature: query_value("nature"),
        status: query_value("status"),
        overdue: query_value("overdue"),
        on_time: query_value("on_time"),
        due_from: query_value("due_from"),
        due_to: query_value("due_to"),
        q: query_value("q"),
        sort: query_value("sort"),
        page: query_value("page"),
        mine: query_value("mine"),
    }
}

/// The query string of `filter` at `page`, for the page links.
fn page_href(filter: &ItemFilter, page: i64) -> String {
    let pairs = [
        ("district", &filter.district),
        ("unit", &filter.unit),
        ("category", &filter.category),
        ("source", &filter.source),
        ("nature", &filter.nature),
        ("status", &filter.status),
        ("overdue", &filter.overdue),
        ("on_time", &filter.on_time),
        ("due_from", &filter.due_from),
        ("due_to", &filter.due_to),
        ("q", &filter.q),
        ("sort", &filter.sort),
        ("mine", &filter.mine),
    ];
    let mut query = String::new();
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        query.push_str(&format!("{k}={}&", form_encode(v)));
    }
    format!("/ledger?{query}page={page}")
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn option(value: String, label: String, chosen: &str) -> impl IntoView + use<> {
    let selected = value == chosen;
    view! { <option value=value selected=selected>{label}</option> }
}

#[component]
pub fn LedgerPage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    };
    if user.role == Role::Administrator {
        return view! { <PageError error=AppError::Forbidden /> }.into_any();
    }
    let filter = filter_from_query();
    // The export takes the same filters as the page.
    let export_href = page_href(&filter, 1).replacen(
        "/ledger?",
        &format!("{}?", crate::exchange::EXPORT_PATH),
        1,
    );
    let can_register = matches!(user.role, Role::CentralOffice | Role::BusinessDivision);
    let can_check = user.role == Role::CentralOffice;
    let data = Resource::new(
        move || filter.clone(),
        |f| async move {
            Ok::<_, AppError>((
                load_ledger_choices().await?,
                ledger_page(f.clone()).await?,
                f,
            ))
        },
    );
    let i18n = use_i18n();
    view! {
        <AppFrame user>
            <div class="title-row">
                <h1>{t!(i18n, ledger.title)}</h1>
                <p class="button-row">
                    {can_check.then(|| view! { <a class="button" href="/ledger/history">{t!(i18n, ledger.history_link)}</a> })}
                    <a class="button" href=export_href download data-testid="export-ledger">{t!(i18n, ledger.export)}</a>
                    {can_register.then(|| view! { <a class="button" href="/ledger/import">{t!(i18n, ledger.import_link)}</a> })}
                    {can_register.then(|| view! { <a class="button primary" href="/ledger/new">{t!(i18n, ledger.register)}</a> })}
                </p>
            </div>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((choices, page, filter)) => view! { <Filters choices filter=filter.clone() /> <Results page filter /> }.into_any(),
                        Err(e) => view! { <PageError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </AppFrame>
    }
    .into_any()
}

#[component]
fn Filters(choices: LedgerChoices, filter: ItemFilter) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let any = move || t_string!(i18n, ledger.any).to_string();
    let open_filters = [
        &filter.district,
        &filter.unit,
        &filter.category,
        &filter.source,
        &filter.nature,
        &filter.status,
        &filter.overdue,
        &filter.due_from,
        &filter.due_to,
    ]
    .iter()
    .any(|v| !v.is_empty());
    view! {
        <form method="get" action="/ledger" class="card filters" data-testid="filters">
            <div class="search-row">
                <input type="search" name="q" value=filter.q.clone() placeholder=move || t_string!(i18n, ledger.search) aria-label=move || t_string!(i18n, ledger.search) />
                <button type="submit" class="button primary">{t!(i18n, ledger.apply)}</button>
            </div>
            <details open=open_filters>
                <summary>{t!(i18n, ledger.filters)}</summary>
                <div class="filter-grid">
                    <label><span>{t!(i18n, fields.district)}</span><select name="district">
                        <option value="">{any()}</option>
                        {choices.districts.iter().map(|d| option(d.id.clone(), d.name.clone(), &filter.district)).collect_view()}
                    </select></label>
                    <label><span>{t!(i18n, fields.unit)}</span><select name="unit">
                        <option value="">{any()}</option>
                        {choices.units.iter().map(|u| option(u.id.clone(), u.name.clone(), &filter.unit)).collect_view()}
                    </select></label>
                    <label><span>{t!(i18n, fields.category)}</span><select name="category">
                        <option value="">{any()}</option>
                        {choices.categories.iter().map(|c| option(c.code.clone(), entry_name(l, c), &filter.category)).collect_view()}
                    </select></label>
                    <label><span>{t!(i18n, fields.source)}</span><select name="source">
                        <option value="">{any()}</option>
                        {choices.sources.iter().map(|c| option(c.code.clone(), entry_name(l, c), &filter.source)).collect_view()}
                    </select></label>
                    <label><span>{t!(i18n, fields.nature)}</span><select name="nature">
                        <option value="">{any()}</option>
                        {[Nature::Violation, Nature::PolicyCaused].into_iter().map(|n| option(n.as_str().into(), nature_label(l, n), &filter.nature)).collect_view()}
                    </select></label>
                    <label><span>{t!(i18n, ledger.status)}</span><select name="status">
                        <option value="">{any()}</option>
                        {option("open".into(), td_string!(l, status.open).to_string(), &filter.status)}
                        {option("found".into(), td_string!(l, status.found).to_string(), &filter.status)}
                        {Status::ALL.into_iter().map(|s| option(s.as_str().into(), status_label(l, s), &filter.status)).collect_view()}
                    </select></label>
                    <label><span>{t!(i18n, ledger.on_time_label)}</span><select name="on_time">
                        <option value="">{any()}</option>
                        {option("1".into(), td_string!(l, ledger.on_time_yes).to_string(), &filter.on_time)}
                        {option("0".into(), td_string!(l, ledger.on_time_no).to_string(), &filter.on_time)}
                    </select></label>
                    <label><span>{t!(i18n, ledger.due_from)}</span><input type="date" name="due_from" value=filter.due_from.clone() /></label>
                    <label><span>{t!(i18n, ledger.due_to)}</span><input type="date" name="due_to" value=filter.due_to.clone() /></label>
                    <label><span>{t!(i18n, ledger.sort)}</span><select name="sort">
                        {option("deadline".into(), td_string!(l, ledger.sort_deadline).to_string(), &filter.sort)}
                        {option("number".into(), td_string!(l, ledger.sort_number).to_string(), &filter.sort)}
                        {option("found".into(), td_string!(l, ledger.sort_found).to_string(), &filter.sort)}
                    </select></label>
                    <label class="check"><input type="checkbox" name="overdue" value="1" checked=filter.overdue == "1" />{t!(i18n, ledger.overdue_only)}</label>
                    <label class="check"><input type="checkbox" name="mine" value="1" checked=filter.mine == "1" />{t!(i18n, ledger.mine_only)}</label>
                </div>
                <p class="button-row"><button type="submit" class="button primary">{t!(i18n, ledger.apply)}</button> <a class="button" href="/ledger">{t!(i18n, ledger.clear)}</a></p>
            </details>
        </form>
    }
}

#[component]
fn Results(page: ItemPage, filter: ItemFilter) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    if page.items.is_empty() {
        return view! { <p class="hint" data-testid="ledger-empty">{t!(i18n, ledger.none_found)}</p> }.into_any();
    }
    let prev = (page.page > 1).then(|| page_href(&filter, page.page - 1));
    let next = (page.page < page.pages).then(|| page_href(&filter, page.page + 1));
    view! {
        <p class="hint" data-testid="ledger-total">{td_string!(l, ledger.total, count = page.total)}</p>
        <table class="table ledger-table" data-testid="ledger-table">
            <thead><tr>
                <th>{t!(i18n, ledger.number)}</th>
                <th>{t!(i18n, fields.unit)}</th>
                <th>{t!(i18n, fields.description)}</th>
                <th>{t!(i18n, fields.category)}</th>
                <th>{t!(i18n, ledger.status)}</th>
                <th>{t!(i18n, ledger.approved_deadline)}</th>
                <th>{t!(i18n, ledger.next)}</th>
            </tr></thead>
            <tbody>
                {page.items.into_iter().map(|item| {
                    let href = format!("/items/{}", item.id);
                    view! {
                        <tr data-number=item.number.clone()>
                            <td class="mono"><a href=href>{item.number.clone()}</a></td>
                            <td>{item.unit_name.clone()}<span class="hint">" · " {item.district_name.clone()}</span></td>
                            <td class="desc">{item.description.clone()}</td>
                            <td>{entry_name(l, &item.category)}</td>
                            <td>{status_label(l, item.status)}</td>
                            <td class="mono">{item.approved_deadline.clone()} " " <DeadlineChip urgency=item.urgency closed_on_time=item.closed_on_time /></td>
                            <td>{item.next_action.map(|a| action_label(l, a))}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <nav class="pager" aria-label="pages">
            {prev.map(|h| view! { <a class="button" href=h rel="prev">{t!(i18n, ledger.prev)}</a> })}
            <span class="hint">{td_string!(l, ledger.page_of, page = page.page, pages = page.pages)}</span>
            {next.map(|h| view! { <a class="button" href=h rel="next">{t!(i18n, ledger.next_page)}</a> })}
        </nav>
    }
    .into_any()
}
