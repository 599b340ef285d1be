//! The co-signer's queue: closure requests waiting for the caller's department.

use super::ItemCard;
use crate::AppError;
use crate::auth::current_user;
use crate::i18n::*;
use crate::ledger::api::acceptance_items;
use crate::ui::errors::PageError;
use crate::ui::frame::AppFrame;
use leptos::prelude::*;

#[component]
pub fn AcceptancePage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    };
    let i18n = use_i18n();
    let items = Resource::new(|| (), |_| acceptance_items());
    view! {
        <AppFrame user>
            <h1>{t!(i18n, ledger.acceptance_queue)}</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match items.await {
                        Ok(list) if list.is_empty() => view! { <p class="hint" data-testid="queue-empty">{t!(i18n, ledger.queue_empty)}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="item-list" data-testid="acceptance-queue">
                                {list.into_iter().map(|item| view! { <ItemCard item /> }).collect_view()}
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
