//! Server functions for signing in and out and choosing the language. Each is posted
//! by a plain HTML form, so it works the same with JavaScript on or off.

use crate::AppError;
use leptos::prelude::*;

#[server(endpoint = "sign_in")]
pub async fn sign_in(username: String, password: String) -> Result<(), AppError> {
    use super::service::{self, LOCALE_COOKIE, SESSION_COOKIE};
    use crate::web;
    let db = web::db()?;
    let address = super::client_address();
    let now = chrono::Utc::now();
    let result = service::sign_in_from(&db, &username, &password, &address, now).await;
    if let Ok(signed_in) = &result {
        web::set_cookie(SESSION_COOKIE, &signed_in.token, None, true);
        // The user's saved language follows them to every device they sign in on.
        web::set_cookie(LOCALE_COOKIE, &signed_in.locale, Some(31_536_000), false);
        tracing::info!(user = %signed_in.user.username, "signed in");
    }
    let keep = [("username", username.trim().to_string())];
    web::finish_form(result.map(|_| ()), "/", &[], "/login", &keep)
}

#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use super::service::{self, SESSION_COOKIE};
    use crate::web;
    let db = web::db()?;
    if let Some(token) = web::request_cookie(SESSION_COOKIE) {
        service::sign_out(&db, &token).await?;
    }
    web::set_cookie(SESSION_COOKIE, "", Some(0), true);
    web::redirect_to("/login", &[("signed_out", "1".into())]);
    Ok(())
}

/// Switch the language; remembered in a cookie and, when signed in, on the user.
#[server(endpoint = "set_language")]
pub async fn set_language(lang: String) -> Result<(), AppError> {
    use super::service::{self, LOCALE_COOKIE, LOCALES};
    use crate::web;
    if !LOCALES.contains(&lang.as_str()) {
        return Err(AppError::BadRequest);
    }
    if let Some(user) = super::current_user() {
        service::set_locale(&web::db()?, &user.id, &lang).await?;
    }
    web::set_cookie(LOCALE_COOKIE, &lang, Some(31_536_000), false);
    web::redirect_to(&web::referring_path(), &[]);
    Ok(())
}

/// A demo account as the sign-in page lists it (demo mode only).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DemoAccount {
    pub role: super::Role,
    pub username: String,
    pub password: String,
}

/// The demo accounts, for the sign-in page; empty unless demo mode is on.
#[server(endpoint = "demo_accounts")]
pub async fn demo_accounts() -> Result<Vec<DemoAccount>, AppError> {
    use crate::web;
    if !web::settings().demo {
        return Ok(Vec::new());
    }
    crate::demo::accounts(&web::db()?).await
}

/// The user chooses a new password (at the first sign-in of an account an administrator
/// created or reset, or whenever they like from their account page).
#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    use super::service::{self, SESSION_COOKIE};
    use crate::web;
    let result = async {
        let user = super::require_user()?;
        let token = web::request_cookie(SESSION_COOKIE);
        service::change_password(
            &web::db()?,
            &user.id,
            token.as_deref(),
            &current_password,
            &new_password,
            &confirm_password,
        )
        .await
    }
    .await;
    web::finish_form(
        result,
        "/me",
        &[("password_changed", "1".into())],
        "/password",
        &[],
    )
}
