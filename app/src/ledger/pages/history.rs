//! The history check: the central office recomputes the hash chain of the whole ledger
//! and sees whether any event was changed, removed or reordered.

use crate::AppError;
use crate::auth::{Role, current_user};
use crate::i18n::*;
use crate::ledger::api::check_history;
use crate::ui::errors::PageError;
use crate::ui::frame::AppFrame;
use leptos::prelude::*;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    };
    if user.role != Role::CentralOffice {
        return view! { <PageError error=AppError::Forbidden /> }.into_any();
    }
    let i18n = use_i18n();
    let check = Resource::new(|| (), |_| check_history());
    view! {
        <AppFrame user>
            <h1>{t!(i18n, ledger.history_title)}</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let l = i18n.get_locale_untracked();
                    match check.await {
                        Ok(c) => match c.first_break {
                            None => view! {
                                <div class="notice notice-ok" role="status" data-testid="history-intact">
                                    {td_string!(l, ledger.history_intact, count = c.events)}
                                </div>
                            }.into_any(),
                            Some(b) => view! {
                                <div class="notice notice-error" role="alert" data-testid="history-broken">
                                    {td_string!(l, ledger.history_broken, count = c.events)} " " <span class="mono">{b}</span>
                                </div>
                            }.into_any(),
                        },
                        Err(e) => view! { <PageError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
            <p class="hint">{t!(i18n, ledger.history_hint)}</p>
        </AppFrame>
    }
    .into_any()
}
