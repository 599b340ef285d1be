//! The administrator's screens: districts, units, users. Plain forms throughout.

use super::api::{
    CreateDistrict, CreateUnit, CreateUser, ResetPassword, SetAccountDisabled, admin_districts,
    admin_units, admin_users,
};
use crate::AppError;
use crate::auth::{PartnerDept, Role, SessionUser, current_user};
use crate::i18n::*;
use crate::ui::errors::PageError;
use crate::ui::frame::AppFrame;
use crate::ui::labels::{partner_label, role_label};
use crate::ui::notice::{ErrorNotice, SuccessNotice, query_value};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The page for administrators only; anyone else gets 403 (the server functions refuse
/// them too: this only spares them a page of errors).
fn administrator() -> Result<SessionUser, AppError> {
    let user = current_user().ok_or(AppError::NotSignedIn)?;
    if user.role == Role::Administrator {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

fn option_view(value: String, label: String, selected: &str) -> impl IntoView {
    let is = value == selected;
    view! { <option value=value selected=is>{label}</option> }
}

#[component]
pub fn DistrictsPage() -> impl IntoView {
    let i18n = use_i18n();
    let user = match administrator() {
        Ok(u) => u,
        Err(e) => return view! { <PageError error=e /> }.into_any(),
    };
    let districts = Resource::new(|| (), |_| admin_districts());
    view! {
        <AppFrame user>
            <h1>{t!(i18n, admin.districts_title)}</h1>
            <SuccessNotice flag="saved">{move || t!(i18n, admin.saved)}</SuccessNotice>
            <ErrorNotice />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match districts.await {
                        Ok(list) if list.is_empty() => view! { <p class="hint">{t!(i18n, admin.empty)}</p> }.into_any(),
                        Ok(list) => {
                            let l = i18n.get_locale_untracked();
                            view! {
                                <ul class="card-list" data-testid="district-list">
                                    {list.into_iter().map(|d| view! {
                                        <li class="card">
                                            <strong>{d.name}</strong>
                                            " "
                                            <span class="mono hint">{d.code}</span>
                                            <span class="hint">" · " {td_string!(l, admin.units_in, count = d.unit_count)}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                        Err(e) => view! { <PageError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
            <form method="post" action=CreateDistrict::PATH class="card stack">
                <h2>{t!(i18n, admin.create_district)}</h2>
                <label><span>{t!(i18n, fields.code)}</span><input name="code" maxlength="16" value=query_value("code") /></label>
                <label><span>{t!(i18n, fields.name)}</span><input name="name" maxlength="40" value=query_value("name") /></label>
                <label><span>{t!(i18n, fields.name_en)}</span><input name="name_en" maxlength="80" lang="en" value=query_value("name_en") /></label>
                <button type="submit" class="button primary">{t!(i18n, admin.save)}</button>
            </form>
        </AppFrame>
    }
    .into_any()
}

#[component]
pub fn UnitsPage() -> impl IntoView {
    let i18n = use_i18n();
    let user = match administrator() {
        Ok(u) => u,
        Err(e) => return view! { <PageError error=e /> }.into_any(),
    };
    let data = Resource::new(
        || (),
        |_| async { Ok::<_, AppError>((admin_districts().await?, admin_units().await?)) },
    );
    view! {
        <AppFrame user>
            <h1>{t!(i18n, admin.units_title)}</h1>
            <SuccessNotice flag="saved">{move || t!(i18n, admin.saved)}</SuccessNotice>
            <ErrorNotice />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((districts, units)) => {
                            let chosen = query_value("district");
                            view! {
                                <form method="post" action=CreateUnit::PATH class="card stack">
                                    <h2>{t!(i18n, admin.create_unit)}</h2>
                                    <label>
                                        <span>{t!(i18n, fields.district)}</span>
                                        <select name="district">
                                            <option value="">{t!(i18n, admin.choose)}</option>
                                            {districts.iter().map(|d| option_view(d.id.clone(), d.name.clone(), &chosen)).collect_view()}
                                        </select>
                                    </label>
                                    <label><span>{t!(i18n, fields.name)}</span><input name="name" maxlength="40" value=query_value("name") /></label>
                                    <button type="submit" class="button primary">{t!(i18n, admin.save)}</button>
                                </form>
                                <table class="table" data-testid="unit-list">
                                    <thead><tr><th>{t!(i18n, fields.unit)}</th><th>{t!(i18n, fields.district)}</th></tr></thead>
                                    <tbody>
                                        {units.into_iter().map(|u| view! { <tr><td>{u.name}</td><td>{u.district_name}</td></tr> }).collect_view()}
                                    </tbody>
                                </table>
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

#[component]
pub fn UsersPage() -> impl IntoView {
    let i18n = use_i18n();
    let user = match administrator() {
        Ok(u) => u,
        Err(e) => return view! { <PageError error=e /> }.into_any(),
    };
    let data = Resource::new(
        || (),
        |_| async {
            Ok::<_, AppError>((
                admin_districts().await?,
                admin_units().await?,
                admin_users().await?,
            ))
        },
    );
    view! {
        <AppFrame user>
            <h1>{t!(i18n, admin.users_title)}</h1>
            <SuccessNotice flag="saved">{move || t!(i18n, admin.saved)}</SuccessNotice>
            <SuccessNotice flag="reset">{move || t!(i18n, admin.password_reset_done)}</SuccessNotice>
            <SuccessNotice flag="disabled">{move || t!(i18n, admin.disabled_done)}</SuccessNotice>
            <SuccessNotice flag="enabled">{move || t!(i18n, admin.enabled_done)}</SuccessNotice>
            <ErrorNotice />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((districts, units, users)) => {
                            let l = i18n.get_locale_untracked();
                            let (role, district, unit, partner) =
                                (query_value("role"), query_value("district"), query_value("unit"), query_value("partner"));
                            let user_options: Vec<(String, String)> =
                                users.iter().map(|u| (u.id.clone(), format!("{} ({})", u.display_name, u.username))).collect();
                            let account_options = user_options.clone();
                            view! {
                                <form method="post" action=CreateUser::PATH class="card stack" data-testid="create-user">
                                    <h2>{t!(i18n, admin.create_user)}</h2>
                                    <label><span>{t!(i18n, fields.username)}</span>
                                        <input name="user[username]" maxlength="32" autocapitalize="none" value=query_value("username") /></label>
                                    <label><span>{t!(i18n, fields.display_name)}</span>
                                        <input name="user[display_name]" maxlength="40" value=query_value("display_name") /></label>
                                    <label><span>{t!(i18n, fields.phone)}</span>
                                        <input name="user[phone]" type="tel" maxlength="20" value=query_value("phone") /></label>
                                    <label><span>{t!(i18n, fields.password)}</span>
                                        <input name="user[password]" type="password" autocomplete="new-password" maxlength="128" /></label>
                                    <label><span>{t!(i18n, fields.role)}</span>
                                        <select name="user[role]">
                                            <option value="">{t!(i18n, admin.choose)}</option>
                                            {Role::ALL.iter().map(|r| option_view(r.as_str().to_string(), role_label(l, *r), &role)).collect_view()}
                                        </select></label>
                                    <label><span>{t!(i18n, fields.district)}</span>
                                        <select name="user[district]">
                                            <option value="">{t!(i18n, admin.none)}</option>
                                            {districts.iter().map(|d| option_view(d.id.clone(), d.name.clone(), &district)).collect_view()}
                                        </select></label>
                                    <label><span>{t!(i18n, fields.unit)}</span>
                                        <select name="user[unit]">
                                            <option value="">{t!(i18n, admin.none)}</option>
                                            {units.iter().map(|u| option_view(u.id.clone(), format!("{} · {}", u.district_name, u.name), &unit)).collect_view()}
                                        </select></label>
                                    <label><span>{t!(i18n, fields.partner)}</span>
                                        <select name="user[partner]">
                                            <option value="">{t!(i18n, admin.none)}</option>
                                            {PartnerDept::ALL.iter().map(|p| option_view(p.as_str().to_string(), partner_label(l, *p), &partner)).collect_view()}
                                        </select></label>
                                    <button type="submit" class="button primary">{t!(i18n, admin.save)}</button>
                                </form>
                                <form method="post" action=ResetPassword::PATH class="card stack" data-testid="reset-password">
                                    <h2>{t!(i18n, admin.reset_password)}</h2>
                                    <label><span>{t!(i18n, fields.user)}</span>
                                        <select name="user">
                                            <option value="">{t!(i18n, admin.choose)}</option>
                                            {user_options.into_iter().map(|(id, label)| option_view(id, label, "")).collect_view()}
                                        </select></label>
                                    <label><span>{t!(i18n, fields.new_password)}</span>
                                        <input name="new_password" type="password" autocomplete="new-password" maxlength="128" /></label>
                                    <button type="submit" class="button">{t!(i18n, admin.reset_password)}</button>
                                </form>
                                <form method="post" action=SetAccountDisabled::PATH class="card stack" data-testid="disable-account">
                                    <h2>{t!(i18n, admin.disable_title)}</h2>
                                    <p class="muted">{t!(i18n, admin.disable_hint)}</p>
                                    <label><span>{t!(i18n, fields.user)}</span>
                                        <select name="user">
                                            <option value="">{t!(i18n, admin.choose)}</option>
                                            {account_options.into_iter().map(|(id, label)| option_view(id, label, "")).collect_view()}
                                        </select></label>
                                    <p class="button-row">
                                        <button type="submit" name="disabled" value="true" class="button danger">{t!(i18n, admin.disable)}</button>
                                        <button type="submit" name="disabled" value="false" class="button">{t!(i18n, admin.enable)}</button>
                                    </p>
                                </form>
                                <table class="table" data-testid="user-list">
                                    <thead><tr>
                                        <th>{t!(i18n, fields.username)}</th>
                                        <th>{t!(i18n, fields.display_name)}</th>
                                        <th>{t!(i18n, fields.role)}</th>
                                        <th>{t!(i18n, home.your_scope)}</th>
                                    </tr></thead>
                                    <tbody>
                                        {users.into_iter().map(|u| { let key = u.username.clone(); view! {
                                            <tr data-username=key>
                                                <td class="mono">{u.username}</td>
                                                <td>{u.display_name}</td>
                                                <td>{role_label(l, u.role)}</td>
                                                <td>{match (u.role, u.scope_name.as_deref().and_then(PartnerDept::parse)) {
                                                    (Role::Partner, Some(p)) => partner_label(l, p),
                                                    _ => u.scope_name.clone().unwrap_or_default(),
                                                }}
                                                    {u.locked.then_some(view! { " 🔒" })}
                                                    {u.disabled.then(|| view! { <span class="badge" data-testid="disabled">{t!(i18n, admin.disabled)}</span> })}</td>
                                            </tr>
                                        }}).collect_view()}
                                    </tbody>
                                </table>
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
