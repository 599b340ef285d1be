//! Server-side plumbing shared by server functions and pages: the database handle and
//! settings from context, cookies, and the redirects that make plain HTML forms work
//! with JavaScript off (the same path is taken with JavaScript on).

use crate::AppError;
use crate::db::Db;
use http::request::Parts;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

/// Deployment settings the pages and server functions need.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Demo city loaded; demo accounts shown on the sign-in page.
    pub demo: bool,
    /// Always mark cookies `Secure` (set when a TLS proxy does not send X-Forwarded-Proto).
    pub secure_cookies: bool,
    /// Where evidence files are kept (named by their sha256).
    pub files_dir: std::path::PathBuf,
    /// Where devices' pushes may be sent.
    pub push_services: crate::reminders::push_services::PushServices,
}

pub fn db() -> Result<Db, AppError> {
    use_context::<Db>().ok_or_else(|| AppError::internal("no database in context"))
}

pub fn settings() -> Settings {
    use_context::<Settings>().unwrap_or(Settings {
        demo: false,
        secure_cookies: false,
        files_dir: std::path::PathBuf::from("data/files"),
        push_services: Default::default(),
    })
}

/// Set the HTTP status of the response being built.
pub fn set_status(code: u16) {
    if let (Some(res), Ok(status)) = (
        use_context::<ResponseOptions>(),
        http::StatusCode::from_u16(code),
    ) {
        res.set_status(status);
    }
}

/// Refuse a call: the response carries the error's status, and the error is returned.
pub fn refuse(error: AppError) -> AppError {
    set_status(error.status());
    error
}

fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// Whether the request being served was sent by a page of another site: a link or a
/// form elsewhere (`Sec-Fetch-Site`, which browsers set and pages cannot). What it asks
/// for is shown, but nothing is recorded as the user's doing.
pub fn sent_from_another_site() -> bool {
    parts()
        .and_then(|p| p.headers.get("sec-fetch-site").cloned())
        .is_some_and(|v| matches!(v.as_bytes(), b"cross-site" | b"same-site"))
}

/// The value of a request cookie.
pub fn request_cookie(name: &str) -> Option<String> {
    cookie_value(&parts()?.headers, name)
}

/// The value of cookie `name` in a request's headers.
pub fn cookie_value(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Whether the browser reached us over TLS (directly or through a proxy that says so).
fn over_tls() -> bool {
    settings().secure_cookies
        || parts().is_some_and(|p| {
            p.headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("https"))
                || p.uri.scheme_str() == Some("https")
        })
}

/// The page's Content-Security-Policy: scripts only from here or inline with this
/// response's nonce (Leptos puts it on the hydration script), WebAssembly compiled,
/// nothing from any other host, never framed.
pub fn content_security_policy() {
    let (Some(nonce), Some(res)) = (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
    else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
         worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(v) = http::HeaderValue::from_str(&policy) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
    }
}

/// Set a cookie on the response. `http_only` for anything script must not read.
pub fn set_cookie(name: &str, value: &str, max_age_seconds: Option<i64>, http_only: bool) {
    let Some(res) = use_context::<ResponseOptions>() else {
        return;
    };
    let mut cookie = format!("{name}={value}; Path=/; SameSite=Lax");
    if let Some(age) = max_age_seconds {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if http_only {
        cookie.push_str("; HttpOnly");
    }
    if over_tls() {
        cookie.push_str("; Secure");
    }
    if let Ok(v) = http::HeaderValue::from_str(&cookie) {
        res.append_header(http::header::SET_COOKIE, v);
    }
}

fn with_query(path: &str, pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        return path.to_string();
    }
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    format!("{path}?{query}")
}

/// After a form post: go to `path`, with a flag such as `saved=1` for the page to show.
pub fn redirect_to(path: &str, pairs: &[(&str, String)]) {
    leptos_axum::redirect(&with_query(path, pairs));
}

/// After a refused form post: back to `path` with the error (and any field values worth
/// keeping, never a password) in the query, so the page can say what was wrong.
pub fn redirect_with_error(path: &str, error: &AppError, keep: &[(&str, String)]) {
    let mut pairs = error.to_query();
    pairs.extend(keep.iter().filter(|(_, v)| !v.is_empty()).cloned());
    redirect_to(path, &pairs);
}

/// The same-site path the request came from (from Referer), for "back where you were".
pub fn referring_path() -> String {
    parts()
        .and_then(|p| p.headers.get(http::header::REFERER).cloned())
        .and_then(|v| v.to_str().ok().map(str::to_string))
        .and_then(|r| {
            let after_scheme = r.split_once("://").map_or(r.as_str(), |(_, rest)| rest);
            after_scheme
                .find('/')
                .map(|i| after_scheme[i..].to_string())
        })
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/api/"))
        .unwrap_or_else(|| "/".to_string())
}

/// Finish a form post: on success go to `ok_path`, on failure back to `form_path`
/// with the error. Returns the result unchanged for callers using fetch.
pub fn finish_form<T>(
    result: Result<T, AppError>,
    ok_path: &str,
    ok_flag: &[(&str, String)],
    form_path: &str,
    keep: &[(&str, String)],
) -> Result<T, AppError> {
    match &result {
        Ok(_) => redirect_to(ok_path, ok_flag),
        Err(e) => redirect_with_error(form_path, e, keep),
    }
    result
}

/// The language of a request made outside the app's pages: the locale cookie, else
/// Simplified Chinese (as the pages choose).
pub fn request_locale(headers: &http::HeaderMap) -> crate::i18n::Locale {
    match cookie_value(headers, crate::auth::service::LOCALE_COOKIE).as_deref() {
        Some("en") => crate::i18n::Locale::en,
        _ => crate::i18n::Locale::zh,
    }
}

/// The page shown while the database cannot be reached: what happened, that the server
/// is reconnecting, and that it opens `again` by itself every `retry_seconds` (the page
/// asked for, or for a form the page it was sent from). Plain HTML with its own small
/// style, so it needs nothing the server would have to read.
pub fn unavailable_page(locale: crate::i18n::Locale, retry_seconds: u32, again: &str) -> String {
    use crate::i18n::td_string;
    let again: String = again
        .chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect();
    let lang = match locale {
        crate::i18n::Locale::en => "en",
        _ => "zh-CN",
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{retry_seconds}; url={again}">
<title>{title}</title>
<style>body{{font:18px/1.6 system-ui,sans-serif;margin:0;padding:1.5rem;color:#111;background:#fff}}
main{{max-width:36rem;margin:auto}}h1{{font-size:1.4rem;color:#8a1c1c}}
a{{display:inline-block;margin-top:1rem;padding:.8rem 1.4rem;background:#1d4ed8;color:#fff;border-radius:.5rem;text-decoration:none}}</style>
</head><body><main role="alert"><h1 class="outage">{title}</h1><p>{body}</p><p>{check}</p>
<a href="{again}">{retry}</a></main></body></html>"#,
        title = td_string!(locale, outage.title),
        body = td_string!(locale, outage.body),
        check = td_string!(locale, outage.check),
        retry = td_string!(locale, outage.retry),
    )
}
