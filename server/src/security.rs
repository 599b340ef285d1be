//! Web hardening around every request, and the security log's writer:
//! - security headers on every response (the HTML pages add their own
//!   Content-Security-Policy with the page's nonce, see `app::web::content_security_policy`);
//! - state-changing requests must come from our own pages (Origin, else Referer, must name
//!   this host), on top of the SameSite=Lax cookies;
//! - rate limits on sign-in (per address) and uploads (per user);
//! - a body limit on server functions (uploads have their own, larger, per route);
//! - server functions' errors answered with their HTTP status;
//! - sign-ins, failed sign-ins, refusals and administrators' changes written to the log.

use crate::AppState;
use app::AppError;
use app::auth::{Role, SessionUser};
use app::error::{Field, Problem};
use app::security::service::NewSecurityEvent;
use app::security::{SecurityKind, endpoint, form_detail};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Sign-in attempts one address may make in a minute, whatever their outcome. A whole
/// office may sign in from behind one address at nine in the morning.
pub const SIGN_IN_ATTEMPTS: (u32, Duration) = (120, Duration::from_secs(60));
/// Failed sign-ins from one address before it must wait a quarter of an hour. Every
/// account locks itself after five wrong passwords; this stops one address trying
/// password after password across many accounts, without locking out an office that
/// shares an address because a few people mistyped.
pub const SIGN_IN_FAILURES: (u32, Duration) = (100, Duration::from_secs(15 * 60));
/// Uploads (progress reports, returns, visits, imports) one user may send in a minute.
pub const UPLOADS: (u32, Duration) = (60, Duration::from_secs(60));
/// How often a signed-out caller's refusals reach the security log, per address: the
/// first of each window is written, the rest are counted and told with the next one.
/// A script hammering the server must not fill a log that is kept for 400 days.
pub const STRANGER_REFUSALS_LOGGED_EVERY: Duration = Duration::from_secs(10 * 60);
/// The largest body a server function accepts (forms; files go to the upload routes).
pub const API_BODY_LIMIT: usize = 1024 * 1024;
/// The largest error body read back to learn a server function's error.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Counts per key in fixed windows: `limit` events per `period`.
pub struct Window {
    limit: u32,
    period: Duration,
    counts: HashMap<String, (Instant, u32)>,
}

impl Window {
    pub fn new((limit, period): (u32, Duration)) -> Self {
        Window {
            limit,
            period,
            counts: HashMap::new(),
        }
    }

    fn current(&self, key: &str, now: Instant) -> u32 {
        match self.counts.get(key) {
            Some((start, n)) if now.duration_since(*start) < self.period => *n,
            _ => 0,
        }
    }

    /// Whether `key` has used up its window.
    pub fn exceeded(&self, key: &str, now: Instant) -> bool {
        self.current(key, now) >= self.limit
    }

    /// Count one event for `key`; false (and not counted) when the window is used up.
    pub fn allow(&mut self, key: &str, now: Instant) -> bool {
        if self.counts.len() > 100_000 {
            let period = self.period;
            self.counts
                .retain(|_, (start, _)| now.duration_since(*start) < period);
        }
        let entry = self.counts.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.period {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            return false;
        }
        entry.1 += 1;
        true
    }
}

/// The rate limits of one server process.
pub struct Limits {
    sign_in_attempts: Mutex<Window>,
    sign_in_failures: Mutex<Window>,
    uploads: Mutex<Window>,
    stranger_refusals: Mutex<Tally>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sign_in_attempts: Mutex::new(Window::new(SIGN_IN_ATTEMPTS)),
            sign_in_failures: Mutex::new(Window::new(SIGN_IN_FAILURES)),
            uploads: Mutex::new(Window::new(UPLOADS)),
            stranger_refusals: Mutex::new(Tally::new(STRANGER_REFUSALS_LOGGED_EVERY)),
        }
    }
}

/// Events per key, of which the first of each period is let through: what is held back
/// is counted and handed to the next one let through.
pub struct Tally {
    period: Duration,
    seen: HashMap<String, (Instant, u32)>,
}

impl Tally {
    pub fn new(period: Duration) -> Self {
        Tally {
            period,
            seen: HashMap::new(),
        }
    }

    /// `Some(n)`: let this one through, `n` having been held back since the last one;
    /// `None`: held back and counted.
    pub fn note(&mut self, key: &str, now: Instant) -> Option<u32> {
        if self.seen.len() > 100_000 {
            let period = self.period;
            self.seen
                .retain(|_, (start, _)| now.duration_since(*start) < period);
        }
        match self.seen.get_mut(key) {
            Some((start, held)) if now.duration_since(*start) < self.period => {
                *held = held.saturating_add(1);
                None
            }
            Some((start, held)) => {
                let n = *held;
                (*start, *held) = (now, 0);
                Some(n)
            }
            None => {
                self.seen.insert(key.to_string(), (now, 0));
                Some(0)
            }
        }
    }
}

fn with<W, T>(window: &Mutex<W>, f: impl FnOnce(&mut W) -> T) -> T {
    let mut w = window
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut w)
}

/// The host[:port] part of an origin or URL (`https://a.b:8443/x` → `a.b:8443`).
pub fn authority_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty())
}

/// Whether a state-changing request comes from one of our own pages: its Origin (else,
/// when a browser sent none, its Referer) names the host the request was sent to.
/// Requests that say neither, or `Origin: null`, are refused.
pub fn same_origin(headers: &HeaderMap, uri_authority: Option<&str>) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let Some(host) = text(header::HOST).or(uri_authority) else {
        return false;
    };
    let source = match text(header::ORIGIN) {
        Some(origin) => origin,
        None => match text(header::REFERER) {
            Some(referer) => referer,
            None => return false,
        },
    };
    authority_of(source).is_some_and(|a| a.eq_ignore_ascii_case(host))
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The routes that take files.
fn is_upload(path: &str) -> bool {
    [
        app::ledger::files::REPORT_PROGRESS_PATH,
        app::exchange::IMPORT_PATH,
        app::campaigns::RETURN_PATH,
        app::campaigns::VERIFY_PATH,
    ]
    .contains(&path)
}

/// Server functions: under `/api/`, but not the plain HTTP routes that live there too
/// (uploads, multipart forms, exports).
fn is_server_fn(path: &str) -> bool {
    path.starts_with("/api/")
        && !is_upload(path)
        && ![
            app::campaigns::CREATE_CAMPAIGN_PATH,
            app::campaigns::PLAN_VERIFICATION_PATH,
            app::exchange::EXPORT_PATH,
            app::exchange::STATS_EXPORT_PATH,
        ]
        .contains(&path)
}

pub(crate) fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// The caller's address, seen through the trusted proxies.
fn client_ip(state: &AppState, req: &Request) -> Option<String> {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())?;
    Some(state.proxies.client(peer, req.headers()).to_string())
}

/// The page a form was sent from (path and query, from the Referer), else the home page;
/// never another host or a server function.
pub(crate) fn back_path(headers: &HeaderMap) -> String {
    headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| authority_of(r).map(|a| (r, a)))
        .and_then(|(r, a)| r.split_once(a).map(|(_, path)| path.to_string()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/api/"))
        .unwrap_or_else(|| "/".to_string())
}

/// A refusal in the caller's terms: a plain form post goes back to its page with the
/// error (which the page shows in the user's language); a script gets the status and
/// the error as a server function would send it.
fn refusal(headers: &HeaderMap, error: &AppError) -> Response {
    if accepts_html(headers) {
        let back = back_path(headers);
        let path = back.split('?').next().unwrap_or("/");
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(error.to_query())
            .finish();
        return Redirect::to(&format!("{path}?{query}")).into_response();
    }
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::FORBIDDEN);
    let body = serde_json::to_string(error).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        [(
            axum::http::HeaderName::from_static("serverfnerror"),
            "refused",
        )],
        body,
    )
        .into_response()
}

/// A signed-out caller of a form or upload: a browser to the sign-in page, a script 401.
fn signed_out(headers: &HeaderMap) -> Response {
    if accepts_html(headers) {
        return Redirect::to("/login").into_response();
    }
    refusal(headers, &AppError::NotSignedIn)
}

/// The length a request's body says it has.
fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// A body declared longer than its route takes: a browser goes back to the form, which
/// names the limit; a script gets 413.
fn too_large(headers: &HeaderMap, limit: usize) -> Response {
    if accepts_html(headers) {
        let max_mb = u32::try_from(limit / (1024 * 1024))
            .unwrap_or(u32::MAX)
            .max(1);
        return refusal(
            headers,
            &AppError::invalid(Field::Files, Problem::FileTooLarge { max_mb }),
        );
    }
    StatusCode::PAYLOAD_TOO_LARGE.into_response()
}

/// What the log needs to know of the request, taken before it is handed on.
struct Seen {
    method: Method,
    path: String,
    ip: Option<String>,
    user: Option<SessionUser>,
    form: Vec<(String, String)>,
}

impl Seen {
    fn event(&self, kind: SecurityKind, status: StatusCode, detail: String) -> NewSecurityEvent {
        NewSecurityEvent {
            kind,
            username: self.user.as_ref().map(|u| u.username.clone()).or_else(|| {
                self.form
                    .iter()
                    .find(|(k, _)| k == "username")
                    .map(|(_, v)| v.trim().to_lowercase())
            }),
            role: self.user.as_ref().map(|u| u.role.as_str().to_string()),
            ip: self.ip.clone(),
            method: self.method.to_string(),
            path: self.path.clone(),
            status: status.as_u16(),
            detail,
        }
    }
}

async fn log(state: &AppState, mut event: NewSecurityEvent) {
    if event.kind == SecurityKind::Refused && event.role.is_none() {
        let address = event.ip.clone().unwrap_or_else(|| "unknown".into());
        let now = Instant::now();
        match with(&state.limits.stranger_refusals, |t| t.note(&address, now)) {
            None => return,
            Some(0) => {}
            Some(held) => event.detail = format!("{} (+{held} before)", event.detail),
        }
    }
    // A log that cannot be written is reported, never a reason to fail the request.
    if let Err(e) = app::security::service::record(&state.db, event, chrono::Utc::now()).await {
        tracing::error!(error = %e, "security log not written");
    }
}

/// Learn a server function's error from its body (JSON, small) and give the response the
/// error's status unless it is a redirect back to a form.
async fn server_fn_error(res: Response) -> (Response, Option<AppError>) {
    if !res.headers().contains_key("serverfnerror") {
        return (res, None);
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, ERROR_BODY_LIMIT)
        .await
        .unwrap_or_default();
    let error = serde_json::from_slice::<AppError>(&bytes).ok();
    if let Some(e) = &error
        && !parts.status.is_redirection()
        && let Ok(status) = StatusCode::from_u16(e.status())
    {
        parts.status = status;
    }
    (Response::from_parts(parts, Body::from(bytes)), error)
}

fn refusal_detail(error: &AppError) -> Option<&'static str> {
    match error {
        AppError::NotSignedIn => Some("not_signed_in"),
        AppError::Forbidden => Some("forbidden"),
        AppError::NotFound => Some("not_found"),
        AppError::RateLimited => Some("rate_limited"),
        _ => None,
    }
}

/// The guard, inside the session middleware (it needs the signed-in user).
pub async fn guard(
    State(state): State<std::sync::Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut seen = Seen {
        ip: client_ip(&state, &req),
        user: req.extensions().get::<SessionUser>().cloned(),
        method: method.clone(),
        path: path.clone(),
        form: Vec::new(),
    };
    let changing = is_state_changing(&method);
    if changing && !same_origin(req.headers(), req.uri().authority().map(|a| a.as_str())) {
        log(
            &state,
            seen.event(
                SecurityKind::Refused,
                StatusCode::FORBIDDEN,
                "cross_site".into(),
            ),
        )
        .await;
        return refusal(req.headers(), &AppError::Forbidden);
    }
    // A plain form or upload: who is calling, and how long the body says it is, before
    // any of it is read.
    if let (true, Some(limit)) = (changing, crate::body_limit(&path)) {
        if seen.user.is_none() {
            return signed_out(req.headers());
        }
        if declared_length(req.headers()).is_some_and(|n| n > limit) {
            return too_large(req.headers(), limit);
        }
    }
    let address = seen.ip.clone().unwrap_or_else(|| "unknown".into());
    req.extensions_mut()
        .insert(app::auth::ClientAddress(address.clone()));
    let now = Instant::now();
    let limited = if path == "/api/sign_in" {
        with(&state.limits.sign_in_failures, |w| {
            w.exceeded(&address, now)
        }) || !with(&state.limits.sign_in_attempts, |w| w.allow(&address, now))
    } else if changing && crate::body_limit(&path).is_some() {
        let key = seen.user.as_ref().map_or(address.clone(), |u| u.id.clone());
        !with(&state.limits.uploads, |w| w.allow(&key, now))
    } else {
        false
    };
    if limited {
        log(
            &state,
            seen.event(
                SecurityKind::Refused,
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited".into(),
            ),
        )
        .await;
        return refusal(req.headers(), &AppError::RateLimited);
    }
    let is_api = is_server_fn(&path);
    let req = if is_api && changing {
        let (parts, body) = req.into_parts();
        let bytes: Bytes = match axum::body::to_bytes(body, API_BODY_LIMIT).await {
            Ok(b) => b,
            Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        };
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if is_form {
            seen.form = form_urlencoded::parse(&bytes).into_owned().collect();
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        req
    };
    let res = next.run(req).await;
    let (res, error) = if is_api {
        server_fn_error(res).await
    } else {
        (res, None)
    };
    let outcome = Outcome {
        status: res.status(),
        set_cookie: res.headers().contains_key(header::SET_COOKIE),
        redirected: res.headers().contains_key(header::LOCATION)
            || res.headers().contains_key("serverfnredirect"),
    };
    record_outcome(&state, &seen, &outcome, error.as_ref()).await;
    res
}

/// What the log needs of the response (the response itself cannot be held across the
/// log's write: its body is not `Sync`).
struct Outcome {
    status: StatusCode,
    set_cookie: bool,
    redirected: bool,
}

/// Write what the log keeps of a finished request.
async fn record_outcome(state: &AppState, seen: &Seen, res: &Outcome, error: Option<&AppError>) {
    let status = res.status;
    let name = endpoint(&seen.path);
    let event = match (name, error) {
        ("sign_in", None) if res.set_cookie => {
            Some(seen.event(SecurityKind::SignIn, status, String::new()))
        }
        ("sign_in", Some(AppError::BadCredentials)) => {
            Some(seen.event(SecurityKind::SignInFailed, status, String::new()))
        }
        ("sign_in", Some(AppError::AccountLocked { minutes })) => {
            Some(seen.event(SecurityKind::SignInLocked, status, format!("{minutes} min")))
        }
        ("sign_out", None) if seen.user.is_some() => {
            Some(seen.event(SecurityKind::SignOut, status, String::new()))
        }
        ("change_password", None) => {
            Some(seen.event(SecurityKind::PasswordChanged, status, String::new()))
        }
        (_, Some(e)) => refusal_detail(e)
            .map(|d| seen.event(SecurityKind::Refused, status, format!("{name}: {d}"))),
        (_, None) if is_server_fn(&seen.path) => {
            // An administrator's change: a server function they posted that went on to a
            // page (every change does; reads answer with data and do not redirect).
            (res.redirected
                && seen
                    .user
                    .as_ref()
                    .is_some_and(|u| u.role == Role::Administrator)
                && !matches!(name, "sign_out" | "set_language"))
            .then(|| {
                seen.event(
                    SecurityKind::AdminAction,
                    status,
                    format!("{name}: {}", form_detail(&seen.form)),
                )
            })
        }
        _ => {
            // Pages and the file and upload routes: refusals by their status.
            let refused = status == StatusCode::FORBIDDEN
                || status == StatusCode::UNAUTHORIZED
                || (status == StatusCode::NOT_FOUND && seen.user.is_some());
            refused.then(|| {
                seen.event(
                    SecurityKind::Refused,
                    status,
                    status.canonical_reason().unwrap_or("").to_lowercase(),
                )
            })
        }
    };
    if let Some(event) = event {
        if event.kind == SecurityKind::SignInFailed || event.kind == SecurityKind::SignInLocked {
            let address = seen.ip.clone().unwrap_or_else(|| "unknown".into());
            with(&state.limits.sign_in_failures, |w| {
                w.allow(&address, Instant::now())
            });
        }
        log(state, event).await;
    }
}

/// Headers every response carries, outside every other layer (redirects and assets too).
pub async fn headers(
    State(state): State<std::sync::Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let over_tls = state.settings.secure_cookies
        || req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    // Pages set their own policy (with the page's nonce); everything else may not be
    // framed, may not change the base URL and may post forms only here.
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
    );
    set(
        h,
        header::HeaderName::from_static("permissions-policy"),
        "geolocation=(), microphone=(), camera=(self)",
    );
    if over_tls {
        set(
            h,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_strangers_refusals_are_written_once_a_window_and_counted() {
        let mut tally = Tally::new(Duration::from_secs(600));
        let t0 = Instant::now();
        assert_eq!(tally.note("6.6.6.6", t0), Some(0));
        for s in 1..50 {
            assert_eq!(tally.note("6.6.6.6", t0 + Duration::from_secs(s)), None);
        }
        assert_eq!(tally.note("7.7.7.7", t0), Some(0));
        assert_eq!(
            tally.note("6.6.6.6", t0 + Duration::from_secs(600)),
            Some(49)
        );
        assert_eq!(tally.note("6.6.6.6", t0 + Duration::from_secs(601)), None);
    }

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                k.clone(),
                HeaderValue::from_str(v).unwrap_or_else(|e| panic!("{e}")),
            );
        }
        h
    }

    #[test]
    fn only_our_own_pages_may_change_things() {
        let host = (header::HOST, "rectify.example:8443");
        let ok = headers(&[
            host.clone(),
            (header::ORIGIN, "https://rectify.example:8443"),
        ]);
        assert!(same_origin(&ok, None));
        // No Origin (an older browser): the Referer decides.
        let referer = headers(&[
            host.clone(),
            (header::REFERER, "https://rectify.example:8443/items/1?x=2"),
        ]);
        assert!(same_origin(&referer, None));
        for bad in [
            headers(&[host.clone(), (header::ORIGIN, "https://evil.example")]),
            headers(&[host.clone(), (header::ORIGIN, "https://rectify.example")]),
            headers(&[host.clone(), (header::ORIGIN, "null")]),
            // A wrong Origin is not rescued by a right Referer.
            headers(&[
                host.clone(),
                (header::ORIGIN, "https://evil.example"),
                (header::REFERER, "https://rectify.example:8443/"),
            ]),
            headers(&[
                host.clone(),
                (
                    header::REFERER,
                    "https://rectify.example:8443.evil.example/",
                ),
            ]),
            headers(std::slice::from_ref(&host)),
            headers(&[(header::ORIGIN, "https://rectify.example:8443")]),
        ] {
            assert!(!same_origin(&bad, None), "{bad:?}");
        }
        // HTTP/2 names the host in the URI.
        let h2 = headers(&[(header::ORIGIN, "https://rectify.example")]);
        assert!(same_origin(&h2, Some("rectify.example")));
    }

    #[test]
    fn authorities_are_read_from_urls() {
        assert_eq!(authority_of("https://a.b:1/x?y"), Some("a.b:1"));
        assert_eq!(authority_of("http://a.b"), Some("a.b"));
        assert_eq!(authority_of("http://a.b?x"), Some("a.b"));
        assert_eq!(authority_of("a.b/x"), None);
        assert_eq!(authority_of("http:///x"), None);
    }

    #[test]
    fn a_window_allows_its_limit_then_refuses_until_it_ends() {
        let mut w = Window::new((3, Duration::from_secs(60)));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(w.allow("1.2.3.4", t0));
        }
        assert!(!w.allow("1.2.3.4", t0 + Duration::from_secs(30)));
        assert!(w.exceeded("1.2.3.4", t0 + Duration::from_secs(59)));
        // Another address has its own window.
        assert!(w.allow("5.6.7.8", t0));
        // The next window starts afresh.
        assert!(!w.exceeded("1.2.3.4", t0 + Duration::from_secs(60)));
        assert!(w.allow("1.2.3.4", t0 + Duration::from_secs(60)));
    }

    #[test]
    fn uploads_are_known_by_their_routes() {
        assert!(is_upload(app::ledger::files::REPORT_PROGRESS_PATH));
        assert!(is_upload(app::exchange::IMPORT_PATH));
        assert!(!is_upload("/api/sign_in"));
        assert!(!is_upload("/items"));
        assert!(is_server_fn("/api/sign_in"));
        assert!(!is_server_fn(app::campaigns::RETURN_PATH));
        assert!(!is_server_fn(app::exchange::EXPORT_PATH));
        assert!(!is_server_fn("/items"));
    }
}
