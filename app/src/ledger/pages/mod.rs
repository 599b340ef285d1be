//! The ledger's screens: the unit's items, the item page, the central ledger, the
//! registration form, the acceptance queue, print views and the editable lists. All are
//! rendered on the server; every form is a plain HTML form.

mod acceptance;
mod history;
mod item;
mod ledger;
mod lists;
mod print;
mod register;

pub use acceptance::AcceptancePage;
pub use history::HistoryPage;
pub use item::ItemPage;
pub use ledger::LedgerPage;
pub use lists::ListsPage;
pub use print::{ClosureSheetPage, NoticePage};
pub use register::RegisterPage;

use super::calendar::Urgency;
use super::{Action, ItemSummary};
use crate::i18n::*;
use crate::ui::labels::{action_label, entry_name, status_label};
use leptos::prelude::*;

/// The countdown chip: 逾期 N 天 red, ≤ 7 天 amber, otherwise green; on closed items
/// whether they closed on time.
#[component]
pub fn DeadlineChip(urgency: Option<Urgency>, closed_on_time: Option<bool>) -> impl IntoView {
    let l = use_i18n().get_locale_untracked();
    let (class, text) = match (urgency, closed_on_time) {
        (Some(Urgency::Overdue { days }), _) => (
            "chip chip-red",
            td_string!(l, ledger.overdue_days, days = days).to_string(),
        ),
        (Some(Urgency::Soon { days: 0 }), _) => (
            "chip chip-amber",
            td_string!(l, ledger.due_today).to_string(),
        ),
        (Some(Urgency::Soon { days }), _) => (
            "chip chip-amber",
            td_string!(l, ledger.days_left, days = days).to_string(),
        ),
        (Some(Urgency::Calm { days }), _) => (
            "chip chip-green",
            td_string!(l, ledger.days_left, days = days).to_string(),
        ),
        (None, Some(true)) => ("chip chip-done", td_string!(l, ledger.on_time).to_string()),
        (None, Some(false)) => ("chip chip-late", td_string!(l, ledger.late).to_string()),
        (None, None) => return None,
    };
    Some(view! { <span class=class data-testid="chip">{text}</span> })
}

pub fn action_text(action: Option<Action>) -> Option<String> {
    let l = use_i18n().get_locale_untracked();
    action.map(|a| action_label(l, a))
}

/// One item as a card: what a unit head needs at a glance.
#[component]
pub fn ItemCard(item: ItemSummary) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let href = format!("/items/{}", item.id);
    let owners = item.measure_owners.join("、");
    let next = action_text(item.next_action);
    view! {
        <li class="item-card" data-number=item.number.clone()>
            <a href=href class="item-link">
                <div class="item-top">
                    <span class="mono">{item.number.clone()}</span>
                    <DeadlineChip urgency=item.urgency closed_on_time=item.closed_on_time />
                    <span class="status" data-status=item.status.as_str()>{status_label(l, item.status)}</span>
                </div>
                <p class="item-desc">{item.description.clone()}</p>
                <p class="hint">{item.unit_name.clone()} " · " {entry_name(l, &item.category)}</p>
                <p class="hint">
                    {t!(i18n, ledger.first_responsible)} ":" {item.head_name.clone()}
                    {(!owners.is_empty()).then(|| view! { " · " {t!(i18n, ledger.measure_owners)} ":" {owners.clone()} })}
                </p>
                {next.map(|n| view! { <p class="next">{t!(i18n, ledger.next)} ":" <strong>{n}</strong></p> })}
            </a>
        </li>
    }
}
