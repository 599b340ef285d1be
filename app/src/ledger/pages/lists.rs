//! The editable lists: categories and sources (administrator, central office).

use crate::AppError;
use crate::auth::{Role, current_user};
use crate::i18n::*;
use crate::ledger::ListEntry;
use crate::ledger::api::{AddListEntry, ledger_lists};
use crate::ui::errors::PageError;
use crate::ui::frame::AppFrame;
use crate::ui::notice::{ErrorNotice, SuccessNotice};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
fn ListCard(title: String, table: &'static str, entries: Vec<ListEntry>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card" data-testid=format!("list-{table}")>
            <h2>{title}</h2>
            <ul class="plain-list">
                {entries.into_iter().map(|e| view! { <li>{e.name} <span class="hint">" · " {e.name_en}</span></li> }).collect_view()}
            </ul>
            <form method="post" action=AddListEntry::PATH class="stack">
                <input type="hidden" name="table" value=table />
                <label><span>{t!(i18n, fields.name)}</span><input name="name" maxlength="40" /></label>
                <label><span>{t!(i18n, fields.name_en)}</span><input name="name_en" maxlength="80" lang="en" /></label>
                <button type="submit" class="button">{t!(i18n, admin.save)}</button>
            </form>
        </section>
    }
}

#[component]
pub fn ListsPage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    };
    if !matches!(user.role, Role::Administrator | Role::CentralOffice) {
        return view! { <PageError error=AppError::Forbidden /> }.into_any();
    }
    let i18n = use_i18n();
    let lists = Resource::new(|| (), |_| ledger_lists());
    view! {
        <AppFrame user>
            <h1>{t!(i18n, ledger.lists_title)}</h1>
            <SuccessNotice flag="saved">{move || t!(i18n, admin.saved)}</SuccessNotice>
            <ErrorNotice />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let l = i18n.get_locale_untracked();
                    match lists.await {
                        Ok((categories, sources)) => view! {
                            <ListCard title=td_string!(l, ledger.add_category).to_string() table="category" entries=categories />
                            <ListCard title=td_string!(l, ledger.add_source).to_string() table="source" entries=sources />
                        }.into_any(),
                        Err(e) => view! { <PageError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </AppFrame>
    }
    .into_any()
}
