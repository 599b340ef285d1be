//! The inbox (待办与提醒): every reminder delivered to the user, newest first, each
//! linking to its item. It is the durable record: a channel may fail, the inbox not.

use super::api::{MarkReminderRead, inbox_entries};
use crate::AppError;
use crate::auth::current_user;
use crate::i18n::*;
use crate::ui::errors::PageError;
use crate::ui::frame::AppFrame;
use crate::ui::notice::ErrorNotice;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// What a ladder rule says, in the user's language.
pub fn rule_label(locale: Locale, rule: &str) -> String {
    match rule {
        "deadline_t30" => td_string!(locale, rule.deadline_t30),
        "deadline_t7" => td_string!(locale, rule.deadline_t7),
        "deadline_t3" => td_string!(locale, rule.deadline_t3),
        "deadline_t1" => td_string!(locale, rule.deadline_t1),
        "deadline_t0" => td_string!(locale, rule.deadline_t0),
        "overdue_1" => td_string!(locale, rule.overdue_1),
        "overdue_7" => td_string!(locale, rule.overdue_7),
        "measure_t3" => td_string!(locale, rule.measure_t3),
        "measure_t0" => td_string!(locale, rule.measure_t0),
        "acceptance_waiting_5" => td_string!(locale, rule.acceptance_waiting_5),
        "weekly_summary" => td_string!(locale, rule.weekly_summary),
        "return_t7" => td_string!(locale, rule.return_t7),
        "return_t1" => td_string!(locale, rule.return_t1),
        other => return other.to_string(),
    }
    .to_string()
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    };
    let i18n = use_i18n();
    let entries = Resource::new(|| (), |_| inbox_entries());
    view! {
        <AppFrame user>
            <h1>{t!(i18n, inbox.title)}</h1>
            <ErrorNotice />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let l = i18n.get_locale_untracked();
                    match entries.await {
                        Ok(list) if list.is_empty() => view! { <p class="hint card" data-testid="inbox-empty">{t!(i18n, inbox.empty)}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="item-list" data-testid="inbox">
                                {list.into_iter().map(|e| view! {
                                    <li class="item-card" class:unread=!e.read data-rule=e.rule.clone() data-number=e.item_number.clone()>
                                        <a class="item-link" href=e.link.clone()>
                                            <p class="item-top"><strong>{rule_label(l, &e.rule)}</strong> <span class="mono hint">{e.day.clone()}</span></p>
                                            {match &e.figures {
                                                Some(f) => view! {
                                                    <p class="hint" data-testid="summary-figures">{td_string!(l, reminder.figures, open = f.open, overdue = f.overdue, due = f.due_this_week, closed = f.closed_last_week).to_string()}</p>
                                                }.into_any(),
                                                None => view! {
                                                    <p class="hint"><span class="mono">{e.item_number.clone()}</span> " · " {e.unit_name.clone()}</p>
                                                }.into_any(),
                                            }}
                                        </a>
                                        {(!e.read).then(|| view! {
                                            <form method="post" action=MarkReminderRead::PATH class="inline-form">
                                                <input type="hidden" name="id" value=e.id.clone() />
                                                <button type="submit" class="link-button">{t!(i18n, inbox.mark_read)}</button>
                                            </form>
                                        })}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <PageError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </AppFrame>
    }
    .into_any()
}
