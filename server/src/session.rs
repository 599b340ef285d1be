//! Per request: resolve the session cookie to a user once (the pages and server
//! functions read it from the request extensions), send signed-out visitors to the
//! sign-in page, and render in the user's language (Simplified Chinese until they pick another).

use crate::AppState;
use app::auth::service::{LOCALE_COOKIE, LOCALES, SESSION_COOKIE, SessionState, resolve_session};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

fn cookie(req: &Request, name: &str) -> Option<String> {
    app::web::cookie_value(req.headers(), name)
}

/// Static files (the WASM bundle, icons, manifest, service worker): no session needed,
/// so no database look-up on the hot path of a page load.
pub(crate) fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path.starts_with("/icons/")
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'))
}

/// Pages (not assets, not server functions) that need a signed-in user.
fn needs_sign_in(path: &str) -> bool {
    !is_asset(path) && !path.starts_with("/api/") && path != "/login" && path != "/offline"
}

/// Render in the language the user chose (the locale cookie), else Simplified Chinese,
/// whatever the browser prefers: leptos_i18n reads the locale from Accept-Language, and
/// its own cookie is off (it would set one per page path).
fn choose_locale(req: &mut Request) {
    let locale = cookie(req, LOCALE_COOKIE)
        .filter(|l| LOCALES.contains(&l.as_str()))
        .unwrap_or_else(|| "zh".to_string());
    if let Ok(v) = HeaderValue::from_str(&locale) {
        req.headers_mut().insert(header::ACCEPT_LANGUAGE, v);
    }
}

/// What a user whose password an administrator set may reach before choosing their own.
fn open_before_password_change(path: &str) -> bool {
    matches!(
        path,
        "/password" | "/api/change_password" | "/api/sign_out" | "/api/set_language" | "/offline"
    )
}

/// Everything else sends them to the password page: pages and plain form posts by a
/// redirect, script calls by a 403 (the server functions would refuse them anyway).
fn password_first(req: &Request) -> Response {
    let is_page = req.method() == axum::http::Method::GET;
    let is_form = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if is_page || is_form {
        Redirect::to("/password?required=1").into_response()
    } else {
        axum::http::StatusCode::FORBIDDEN.into_response()
    }
}

pub async fn session_middleware(
    State(state): State<std::sync::Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    choose_locale(&mut req);
    let path = req.uri().path().to_string();
    if is_asset(&path) {
        return next.run(req).await;
    }
    let mut expired = false;
    if let Some(token) = cookie(&req, SESSION_COOKIE).filter(|t| !t.is_empty()) {
        match resolve_session(&state.db, &token, chrono::Utc::now()).await {
            Ok(SessionState::Live(user)) => {
                req.extensions_mut().insert(user);
            }
            Ok(SessionState::MustChangePassword(user)) => {
                if !open_before_password_change(&path) {
                    return password_first(&req);
                }
                req.extensions_mut().insert(user);
                req.extensions_mut().insert(app::auth::PasswordChangeDue);
            }
            Ok(SessionState::Expired) => expired = true,
            Ok(SessionState::Absent) => {}
            // The database did not answer: say so rather than treat the visitor as
            // signed out (which would send them to sign in again for nothing).
            Err(_) => return crate::availability::unavailable(&req),
        }
    }
    let signed_in = req.extensions().get::<app::auth::SessionUser>().is_some();
    if !signed_in && needs_sign_in(&path) {
        let to = if expired {
            "/login?expired=1"
        } else {
            "/login"
        };
        return Redirect::to(to).into_response();
    }
    if signed_in && path == "/login" {
        return Redirect::to("/").into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::{needs_sign_in, open_before_password_change};

    #[test]
    fn pages_need_sign_in_and_assets_do_not() {
        assert!(needs_sign_in("/"));
        assert!(needs_sign_in("/admin/users"));
        assert!(needs_sign_in("/no-such-page"));
        assert!(!needs_sign_in("/login"));
        assert!(!needs_sign_in("/offline"));
        assert!(!needs_sign_in("/pkg/rectify.wasm"));
        assert!(!needs_sign_in("/sw.js"));
        assert!(!needs_sign_in("/manifest.webmanifest"));
        assert!(!needs_sign_in("/api/sign_in"));
    }

    #[test]
    fn before_choosing_a_password_only_the_way_there_is_open() {
        for open in [
            "/password",
            "/api/change_password",
            "/api/sign_out",
            "/api/set_language",
        ] {
            assert!(open_before_password_change(open), "{open}");
        }
        for shut in ["/", "/items", "/api/list_items", "/admin/users", "/files/1"] {
            assert!(!open_before_password_change(shut), "{shut}");
        }
    }
}
