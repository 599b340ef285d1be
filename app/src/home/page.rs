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

/// A section whose content arrives with a later part of the product: it says so, plainly.
#[component]
fn ComingSection(title: String, body: String) -> impl IntoView {
    view! {
        <section class="card coming">
            <h2>{title}</h2>
            <p class="hint">{body}</p>
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
    let body = match user.role {
        Role::UnitHead | Role::UnitHandler => view! {
            <ComingSection title=td_string!(l, home.my_items).to_string() body=td_string!(l, home.my_items_soon).to_string() />
        }
        .into_any(),
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
                <ComingSection title=td_string!(l, home.ledger).to_string() body=td_string!(l, home.ledger_soon).to_string() />
            }
            .into_any()
        }
        Role::CentralOffice => view! {
            {counts}
            <ComingSection title=td_string!(l, home.ledger).to_string() body=td_string!(l, home.ledger_soon).to_string() />
        }
        .into_any(),
        Role::BusinessDivision => view! {
            {counts}
            <ComingSection title=td_string!(l, home.supervised_items).to_string() body=td_string!(l, home.supervised_items_soon).to_string() />
        }
        .into_any(),
        Role::Partner => view! {
            <ComingSection title=td_string!(l, home.shared_items).to_string() body=td_string!(l, home.shared_items_soon).to_string() />
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
    };
    body
}
