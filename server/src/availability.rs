//! A SurrealDB server can go away while this server runs (restarted, cut off by the
//! network). SurrealDB's client reconnects by itself, but until it has, every query
//! waits. So that nobody is left staring at a page that never comes:
//! - a watch asks the database `RETURN 1` every second, each try bounded; two
//!   unanswered tries in a row mark it unreachable, one answer marks it reachable again;
//! - while it is unreachable, every page and call is answered at once with 503 and the
//!   reason in the user's language (pages reload themselves until it is back);
//! - a request already waiting on the database when it goes away is answered the same way.
//!
//! The embedded engines (SurrealKV, memory) live in this process: no watch, always reachable.

use app::AppError;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often the database is asked while it answers.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);
/// How long one try may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);
/// How often it is asked while it does not.
pub const RETRY_EVERY: Duration = Duration::from_secs(1);
/// Unanswered tries in a row before it counts as unreachable.
pub const MISSES_BEFORE_DOWN: u32 = 2;
/// What the outage page tells the browser: come back in this many seconds.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// Whether the database answers, shared by every request.
#[derive(Clone, Debug)]
pub struct Database {
    up: Arc<watch::Sender<bool>>,
}

impl Default for Database {
    /// Reachable, and nothing watching: the embedded engines.
    fn default() -> Self {
        Database {
            up: Arc::new(watch::channel(true).0),
        }
    }
}

impl Database {
    pub fn is_up(&self) -> bool {
        *self.up.borrow()
    }

    pub fn set(&self, up: bool) {
        self.up.send_if_modified(|now| {
            let changed = *now != up;
            *now = up;
            changed
        });
    }

    /// Resolves when the database becomes unreachable.
    async fn gone(&self) {
        let mut rx = self.up.subscribe();
        // The sender lives in `self`, so this only ends when the state says "down".
        let _ = rx.wait_for(|up| !*up).await;
    }
}

/// A database on another machine (only those can become unreachable).
pub fn is_remote(endpoint: &str) -> bool {
    ["ws://", "wss://", "http://", "https://"]
        .iter()
        .any(|scheme| endpoint.starts_with(scheme))
}

/// The watch's memory: is it up, and how many tries in a row went unanswered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probes {
    pub up: bool,
    pub misses: u32,
}

impl Probes {
    pub fn new() -> Self {
        Probes {
            up: true,
            misses: 0,
        }
    }

    /// After one try.
    pub fn after(self, answered: bool) -> Probes {
        if answered {
            Probes {
                up: true,
                misses: 0,
            }
        } else {
            let misses = self.misses.saturating_add(1);
            Probes {
                up: self.up && misses < MISSES_BEFORE_DOWN,
                misses,
            }
        }
    }
}

impl Default for Probes {
    fn default() -> Self {
        Probes::new()
    }
}

/// Watch a remote database for as long as the server runs.
pub fn watch(db: app::db::Db, database: Database) {
    tokio::spawn(async move {
        let mut probes = Probes::new();
        loop {
            let answered = match tokio::time::timeout(PROBE_TIMEOUT, async {
                db.query("RETURN 1").await.and_then(|r| r.check())
            })
            .await
            {
                Ok(Ok(_)) => true,
                Ok(Err(e)) => {
                    tracing::debug!("the database did not answer: {e}");
                    false
                }
                Err(_) => {
                    tracing::debug!("the database did not answer within {PROBE_TIMEOUT:?}");
                    false
                }
            };
            let before = probes.up;
            probes = probes.after(answered);
            if before != probes.up {
                if probes.up {
                    tracing::warn!("the database answers again");
                } else {
                    tracing::error!(
                        "the database cannot be reached; answering 503 until it is back"
                    );
                }
            }
            database.set(probes.up);
            tokio::time::sleep(if probes.up { PROBE_EVERY } else { RETRY_EVERY }).await;
        }
    });
}

/// 503 in the caller's terms: a page (or a plain form post) gets the outage page in the
/// user's language, which opens the page again by itself; a script gets the error as a
/// server function sends it.
pub fn unavailable(req: &Request) -> Response {
    let headers = req.headers();
    let is_page = req.method() == Method::GET || req.method() == Method::HEAD;
    let retry_after = [(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS))];
    if is_page || crate::security::accepts_html(headers) {
        let again = if is_page {
            req.uri()
                .path_and_query()
                .map(|p| p.to_string())
                // Only a path of this site: "//host" or "/\host" would leave it.
                .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\"))
                .unwrap_or_else(|| "/".to_string())
        } else {
            crate::security::back_path(headers)
        };
        let page = app::web::unavailable_page(
            app::web::request_locale(headers),
            RETRY_AFTER_SECONDS,
            &again,
        );
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            retry_after,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            page,
        )
            .into_response();
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        retry_after,
        [(header::CONTENT_TYPE, "application/json")],
        [(
            axum::http::HeaderName::from_static("serverfnerror"),
            "unavailable",
        )],
        serde_json::to_string(&AppError::Unavailable).unwrap_or_default(),
    )
        .into_response()
}

/// Outside the session middleware (which reads the database on every page).
pub async fn gate(State(database): State<Database>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if crate::session::is_asset(path) || path == "/offline" {
        return next.run(req).await;
    }
    if !database.is_up() {
        return unavailable(&req);
    }
    let answer = unavailable_for(&req);
    tokio::select! {
        res = next.run(req) => res,
        _ = database.gone() => answer(),
    }
}

/// The 503 for this request, made before the request is handed on.
fn unavailable_for(req: &Request) -> impl FnOnce() -> Response + use<> {
    let mut copy = Request::new(axum::body::Body::empty());
    *copy.method_mut() = req.method().clone();
    *copy.uri_mut() = req.uri().clone();
    *copy.headers_mut() = req.headers().clone();
    move || unavailable(&copy)
}

#[cfg(test)]
// A test that cannot build its input fails, saying which.
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn two_misses_in_a_row_make_it_unreachable_and_one_answer_brings_it_back() {
        let p = Probes::new();
        let once = p.after(false);
        assert!(once.up, "one slow answer is not an outage");
        let twice = once.after(false);
        assert!(!twice.up);
        assert!(!twice.after(false).up);
        let back = twice.after(true);
        assert_eq!(
            back,
            Probes {
                up: true,
                misses: 0
            }
        );
        assert!(once.after(true).after(false).up, "misses must be in a row");
    }

    #[test]
    fn only_servers_elsewhere_are_watched() {
        assert!(is_remote("ws://127.0.0.1:8000"));
        assert!(is_remote("wss://db.example:443"));
        assert!(!is_remote("surrealkv://data/db"));
        assert!(!is_remote("mem://"));
    }

    mod gate {
        use super::super::*;
        use axum::Router;
        use axum::body::Body;
        use axum::routing::{get, post};
        use tower::ServiceExt;

        /// Pages and calls that wait for a database that does not answer.
        fn app(database: Database) -> Router {
            let waits = || async {
                std::future::pending::<()>().await;
                "never"
            };
            Router::new()
                .route("/items", get(waits))
                .route("/api/list_items", post(waits))
                .route("/pkg/app.css", get(|| async { "css" }))
                .layer(axum::middleware::from_fn_with_state(database, gate))
        }

        async fn send(app: Router, req: Request) -> (StatusCode, String, Option<String>) {
            let res = app.oneshot(req).await.expect("answer");
            let status = res.status();
            let retry = res
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = axum::body::to_bytes(res.into_body(), 1 << 20)
                .await
                .expect("body");
            (status, String::from_utf8_lossy(&body).to_string(), retry)
        }

        #[tokio::test]
        async fn a_request_waiting_when_the_database_goes_away_is_told_so() {
            let database = Database::default();
            let later = database.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                later.set(false);
            });
            let req = Request::get("/items?status=open")
                .body(Body::empty())
                .expect("request");
            let (status, body, retry) = send(app(database), req).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(retry.as_deref(), Some("5"));
            assert!(body.contains("暂时无法连接数据库"), "{body}");
            assert!(body.contains("url=/items?status=open"), "{body}");
        }

        #[tokio::test]
        async fn while_it_is_away_pages_forms_and_calls_are_answered_at_once() {
            let database = Database::default();
            database.set(false);
            let page = Request::get("/items")
                .header(header::COOKIE, "rectify_locale=en")
                .body(Body::empty())
                .expect("request");
            let (status, body, _) = send(app(database.clone()), page).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert!(body.contains("The database cannot be reached"), "{body}");

            let form = Request::post("/api/list_items")
                .header(header::ACCEPT, "text/html")
                .header(header::HOST, "rectify.local")
                .header(header::REFERER, "http://rectify.local/items/abc?tab=2")
                .body(Body::empty())
                .expect("request");
            let (status, body, _) = send(app(database.clone()), form).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert!(
                body.contains("url=/items/abc?tab=2"),
                "back to the form: {body}"
            );

            let call = Request::post("/api/list_items")
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .expect("request");
            let (status, body, _) = send(app(database.clone()), call).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            let error: AppError = serde_json::from_str(&body).expect("a server function's error");
            assert_eq!(error, AppError::Unavailable);

            let elsewhere = Request::get("//elsewhere.example/x")
                .body(Body::empty())
                .expect("request");
            let (status, body, _) = send(app(database.clone()), elsewhere).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert!(body.contains("url=/\""), "never to another host: {body}");

            let asset = Request::get("/pkg/app.css")
                .body(Body::empty())
                .expect("request");
            let (status, body, _) = send(app(database), asset).await;
            assert_eq!((status, body.as_str()), (StatusCode::OK, "css"));
        }
    }
}
