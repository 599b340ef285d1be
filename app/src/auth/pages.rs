//! The sign-in page and the user's own account page.

use super::api::{DemoAccount, SignIn, demo_accounts};
use crate::i18n::*;
use crate::ui::errors::PageError;
use crate::ui::frame::{AppFrame, LanguageSwitch, SignOutButton};
use crate::ui::labels::{role_label, scope_label};
use crate::ui::notice::{ErrorNotice, SuccessNotice, query_value};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let demo = Resource::new(|| (), |_| demo_accounts());
    view! {
        <div class="login-screen">
            <header class="login-header">
                <p class="brand-large">{t!(i18n, app_name)}</p>
                <p class="tagline">{t!(i18n, app_tagline)}</p>
                <LanguageSwitch />
            </header>
            <main id="main" class="card login-card">
                <h1>{t!(i18n, login.title)}</h1>
                <SuccessNotice flag="signed_out">{move || t!(i18n, login.signed_out)}</SuccessNotice>
                <SuccessNotice flag="expired">{move || t!(i18n, login.expired)}</SuccessNotice>
                <ErrorNotice />
                <form method="post" action=SignIn::PATH class="stack">
                    <label>
                        <span>{t!(i18n, login.username)}</span>
                        <input
                            type="text"
                            name="username"
                            autocomplete="username"
                            autocapitalize="none"
                            spellcheck="false"
                            maxlength="64"
                            value=query_value("username")
                        />
                    </label>
                    <label>
                        <span>{t!(i18n, login.password)}</span>
                        <input type="password" name="password" autocomplete="current-password" maxlength="128" />
                    </label>
                    <button type="submit" class="button primary">{t!(i18n, login.submit)}</button>
                </form>
            </main>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match demo.await {
                        Ok(accounts) if !accounts.is_empty() => view! { <DemoAccounts accounts /> }.into_any(),
                        _ => ().into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn DemoAccounts(accounts: Vec<DemoAccount>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let rows = accounts
        .into_iter()
        .map(|a| {
            view! {
                <tr data-role=a.role.as_str()>
                    <td>{role_label(locale, a.role)}</td>
                    <td class="mono" data-field="username">{a.username}</td>
                    <td class="mono" data-field="password">{a.password}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card demo-accounts" aria-labelledby="demo-title">
            <h2 id="demo-title">{t!(i18n, login.demo_title)}</h2>
            <p class="hint">{t!(i18n, login.demo_hint)}</p>
            <table>
                <thead>
                    <tr>
                        <th>{t!(i18n, login.demo_role)}</th>
                        <th>{t!(i18n, login.demo_username)}</th>
                        <th>{t!(i18n, login.demo_password)}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

/// The signed-in user's own page: who they are, their language, sign-out.
#[component]
pub fn AccountPage() -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let Some(user) = super::current_user() else {
        return view! { <PageError error=crate::AppError::NotSignedIn /> }.into_any();
    };
    view! {
        <AppFrame user=user.clone()>
            <h1>{t!(i18n, account.title)}</h1>
            <dl class="card facts">
                <dt>{t!(i18n, account.username)}</dt>
                <dd class="mono">{user.username.clone()}</dd>
                <dt>{t!(i18n, account.role)}</dt>
                <dd>{role_label(locale, user.role)}</dd>
                <dt>{t!(i18n, account.scope)}</dt>
                <dd>{scope_label(locale, &user.scope)}</dd>
                <dt>{t!(i18n, account.language)}</dt>
                <dd>{t!(i18n, account.language_current)} " " <LanguageSwitch /></dd>
            </dl>
            <SuccessNotice flag="password_changed">{move || t!(i18n, account.password_changed)}</SuccessNotice>
            <p><a class="button secondary" href="/password">{t!(i18n, account.change_password)}</a></p>
            {(user.role != super::Role::Administrator).then(|| view! { <crate::reminders::push_settings::PushSection /> })}
            <SignOutButton />
        </AppFrame>
    }
    .into_any()
}

/// Choose a new password. The session middleware sends here every page of a user whose
/// password an administrator set (`?required=1`), until they have chosen their own.
#[component]
pub fn PasswordPage() -> impl IntoView {
    let i18n = use_i18n();
    let Some(user) = super::current_user() else {
        return view! { <PageError error=crate::AppError::NotSignedIn /> }.into_any();
    };
    let required = super::password_change_due();
    view! {
        <div class="login-screen">
            <main id="main" class="card login-card stack">
            <h1>{t!(i18n, account.change_password)}</h1>
            <p class="mono hint">{user.username}</p>
            {required.then(|| view! { <p class="notice" role="status" data-testid="password-required">{t!(i18n, account.must_change)}</p> })}
            <ErrorNotice />
            <form method="post" action=super::api::ChangePassword::PATH class="stack" data-testid="change-password">
                <label><span>{t!(i18n, fields.current_password)}</span>
                    <input name="current_password" type="password" autocomplete="current-password" maxlength="128" required /></label>
                <label><span>{t!(i18n, fields.new_password)}</span>
                    <input name="new_password" type="password" autocomplete="new-password" minlength="8" maxlength="128" required /></label>
                <p class="hint">{t!(i18n, account.password_rule)}</p>
                <label><span>{t!(i18n, fields.confirm_password)}</span>
                    <input name="confirm_password" type="password" autocomplete="new-password" minlength="8" maxlength="128" required /></label>
                <button type="submit" class="button primary">{t!(i18n, account.save_password)}</button>
            </form>
            <SignOutButton />
            </main>
        </div>
    }
    .into_any()
}
