use super::{HomeOverview, load_home_overview};
use crate::auth::{Role, SessionUser, current_user};
use crate::i18n::*;
use crate::ui::errors::PageError;
use crate::ui::frame::AppFrame;
use crate::ui::labels::{role_label, scope_label};
use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=crate::AppError::NotSignedIn /> }.into_any();
    };
    let overview = Resource::new(|| (), |_| load_home_overview());
    view! {
        <AppFrame user=user.clone()>
            <Greeting user=user.clone() />
            <Suspense fallback=|| ()>
                {
                    let user = user.clone();
                    move || {
                        let user = user.clone();
                        Suspend::new(async move {
                            match overview.await {
                                Ok(o) => view! { <RoleSections user o /> }.into_any(),
                                Err(e) => view! { <PageError error=e /> }.into_any(),
                            }
                        })
                    }
                }
            </Suspense>
        </AppFrame>
    }
    .into_any()
}

#[component]
fn Greeting(user: SessionUser) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
        <section class="greeting" data-role=user.role.as_str()>
            <h1>{td_string!(locale, home.greeting, name = user.display_name.clone())}</h1>
            <p class="facts-inline">
                <span data-testid="role">{role_label(locale, user.role)}</span>
                " · "
                <span data-testid="scope">{scope_label(locale, &user.scope)}</span>
            </p>
        </section>
    }
}

/// The way into the ledger from a home page (`query` narrows it, e.g. `?mine=1`).
#[component]
fn LedgerLink(title: String, #[prop(optional)] query: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card">
            <h2>{title}</h2>
            <p><a class="button primary" href=format!("/ledger{query}")>{t!(i18n, ledger.title)}</a></p>
        </section>
    }
}

/// 我的整改事项: the unit's open items, most urgent first.
#[component]
fn MyItems() -> impl IntoView {
    let i18n = use_i18n();
    let items = Resource::new(|| (), |_| crate::ledger::api::my_items());
    view! {
        <section>
            <h2>{t!(i18n, ledger.my_items)}</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match items.await {
                        Ok(list) if list.is_empty() => view! { <p class="hint card" data-testid="my-items-empty">{t!(i18n, ledger.my_items_none)}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="item-list" data-testid="my-items">
                                {list.into_iter().map(|item| view! { <crate::ledger::pages::ItemCard item /> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <PageError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn RoleSections(user: SessionUser, o: HomeOverview) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let counts = o.counts.map(|c| {
        view! {
            <section class="card">
                <h2>{t!(i18n, home.city_overview)}</h2>
                <ul class="stat-row">
                    <li data-testid="count-districts">{td_string!(l, home.districts_count, count = c.districts)}</li>
                    <li data-testid="count-units">{td_string!(l, home.units_count, count = c.units)}</li>
                    <li data-testid="count-users">{td_string!(l, home.users_count, count = c.users)}</li>
                </ul>
            </section>
        }
    });
    match user.role {
        Role::UnitHead | Role::UnitHandler => view! { <MyItems /> }.into_any(),
        Role::DistrictOffice => {
            let count = o.district_units.len();
            let units = o
                .district_units
                .into_iter()
                .map(|u| view! { <li>{u.name}</li> })
                .collect_view();
            view! {
                <section class="card">
                    <h2>{t!(i18n, home.district_units)}</h2>
                    <p class="hint" data-testid="district-unit-count">{td_string!(l, home.district_units_count, count = count)}</p>
                    <ul class="plain-list">{units}</ul>
                </section>
                <LedgerLink title=td_string!(l, ledger.district_items).to_string() />
            }
            .into_any()
        }
        Role::CentralOffice => view! {
            {counts}
            <LedgerLink title=td_string!(l, ledger.title).to_string() />
        }
        .into_any(),
        Role::BusinessDivision => view! {
            {counts}
            <LedgerLink title=td_string!(l, home.supervised_items).to_string() query="?mine=1" />
        }
        .into_any(),
        Role::Partner => view! {
            <LedgerLink title=td_string!(l, home.shared_items).to_string() />
        }
        .into_any(),
        Role::Administrator => view! {
            {counts}
            <section class="card">
                <h2>{t!(i18n, home.admin_tasks)}</h2>
                <p>{t!(i18n, home.admin_tasks_body)}</p>
                <p class="button-row">
                    <a class="button" href="/admin/users">{t!(i18n, nav.users)}</a>
                    <a class="button" href="/admin/units">{t!(i18n, nav.units)}</a>
                    <a class="button" href="/admin/districts">{t!(i18n, nav.districts)}</a>
                </p>
            </section>
        }
        .into_any(),
    }
}
