//! Pages rendered a moment ago, served again while nothing has been written since.
//!
//! A page is kept for the request that asked for it exactly (its path and query, its
//! cookies, host and accept headers), so one person's page never reaches another. It is
//! served again only while
//! - no statement that may write has run on the database since its rendering began
//!   ([`app::db::Db::changes`]: every save, sign-out, reminder run and touch of a
//!   session counts), and
//! - it is younger than [`FRESH_FOR`], which bounds what this process cannot count:
//!   writes by another server sharing a SurrealDB server, and the clock (a deadline
//!   that passes, a new day).
//!
//! Each response gets a nonce of its own: the kept page's nonce is replaced in its
//! Content-Security-Policy and body. A reload (`Cache-Control: no-cache` or `max-age=0`)
//! is always rendered afresh. Only complete `200 text/html` pages that set no cookie are
//! kept.

use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How long a kept page may be served without anything written here.
pub const FRESH_FOR: Duration = Duration::from_secs(2);
/// Pages kept at most (a page is a few KiB; at most 500 × 256 KiB).
pub const PAGES: usize = 500;
/// How long a request waits for the same page being rendered for another before it
/// renders its own.
pub const WAIT_AT_MOST: Duration = Duration::from_secs(2);
/// A larger page is sent but not kept.
pub const PAGE_BYTES: usize = 256 * 1024;

/// What makes two requests ask for the same page.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct Asked {
    path_and_query: String,
    /// Every value of each of [`ASKED_BY`] (a cookie header may come in pieces).
    headers: Vec<Vec<HeaderValue>>,
}

/// The request headers a page may depend on.
const ASKED_BY: [header::HeaderName; 5] = [
    header::COOKIE,
    header::HOST,
    header::ACCEPT,
    header::HeaderName::from_static("x-forwarded-proto"),
    // A page opened from another site records nothing (`web::sent_from_another_site`).
    header::HeaderName::from_static("sec-fetch-site"),
];

struct Page {
    /// [`app::db::Db::changes`] when its rendering began.
    changes: u64,
    rendered: Instant,
    status: StatusCode,
    /// Without the Content-Security-Policy, which is in `policy`.
    headers: HeaderMap,
    /// The body cut where its nonce was: each copy joins them with a nonce of its own.
    body: Vec<Bytes>,
    /// The Content-Security-Policy, cut the same way.
    policy: Option<Vec<String>>,
}

/// This process's kept pages.
#[derive(Default)]
pub struct PageCache {
    pages: Mutex<HashMap<Asked, Arc<Page>>>,
    /// The pages being rendered to be kept, and who waits for them.
    rendering: Mutex<HashMap<Asked, Arc<Notify>>>,
    served: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl PageCache {
    /// How many responses were served from kept pages.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    fn fresh(&self, asked: &Asked, changes: u64, now: Instant) -> Option<Arc<Page>> {
        lock(&self.pages)
            .get(asked)
            .filter(|p| p.is_fresh(changes, now))
            .cloned()
    }

    /// Keeps `page`, and forgets those no longer fresh (`changes` is the count now), so
    /// that only pages of the last [`FRESH_FOR`] take memory.
    fn keep(&self, asked: Asked, page: Page, changes: u64, now: Instant) {
        let mut pages = lock(&self.pages);
        pages.retain(|_, p| p.is_fresh(changes, now));
        // A page something was written during is out of date already.
        if page.is_fresh(changes, now) && pages.len() < PAGES {
            pages.insert(asked, Arc::new(page));
        }
    }
}

/// The one request rendering a page others asked for too; they are told when it is
/// done, kept or not.
struct Leading {
    pages: Arc<PageCache>,
    asked: Asked,
}

impl Drop for Leading {
    fn drop(&mut self) {
        if let Some(waiting) = lock(&self.pages.rendering).remove(&self.asked) {
            waiting.notify_waiters();
        }
    }
}

/// Leads the rendering of `asked`, or waits (at most [`WAIT_AT_MOST`]) for the one that
/// does, so that a page gone stale under load is rendered once, not by every connection
/// that asks for it in the same moment.
async fn lead_or_wait(pages: &Arc<PageCache>, asked: &Asked) -> Option<Leading> {
    let notify;
    let done;
    {
        let mut rendering = lock(&pages.rendering);
        match rendering.get(asked) {
            None => {
                rendering.insert(asked.clone(), Arc::new(Notify::new()));
                return Some(Leading {
                    pages: pages.clone(),
                    asked: asked.clone(),
                });
            }
            Some(n) => {
                notify = n.clone();
                // Made before the lock is let go: told even if the rendering ends first.
                done = notify.notified();
            }
        }
    }
    let _ = tokio::time::timeout(WAIT_AT_MOST, done).await;
    None
}

impl Page {
    fn is_fresh(&self, changes: u64, now: Instant) -> bool {
        self.changes == changes && now.duration_since(self.rendered) < FRESH_FOR
    }

    /// A copy to send, with `nonce` where the one it was rendered with was.
    fn serve(&self, nonce: &str) -> Response {
        let mut res = Response::new(Body::from(join(&self.body, nonce.as_bytes())));
        *res.status_mut() = self.status;
        *res.headers_mut() = self.headers.clone();
        if let Some(policy) = self
            .policy
            .as_ref()
            .and_then(|p| HeaderValue::from_str(&p.join(nonce)).ok())
        {
            res.headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        res
    }
}

/// The pieces of `text` between the occurrences of `nonce` (one piece when there is none).
pub fn cut_at(text: &Bytes, nonce: &[u8]) -> Vec<Bytes> {
    let mut pieces = Vec::new();
    let mut from = 0;
    if !nonce.is_empty() {
        let mut at = 0;
        while at + nonce.len() <= text.len() {
            if &text[at..at + nonce.len()] == nonce {
                pieces.push(text.slice(from..at));
                at += nonce.len();
                from = at;
            } else {
                at += 1;
            }
        }
    }
    pieces.push(text.slice(from..));
    pieces
}

/// `pieces` joined by `nonce`.
pub fn join(pieces: &[Bytes], nonce: &[u8]) -> Vec<u8> {
    let size = pieces.iter().map(Bytes::len).sum::<usize>() + pieces.len() * nonce.len();
    let mut out = Vec::with_capacity(size);
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(nonce);
        }
        out.extend_from_slice(piece);
    }
    out
}

/// The nonce in a page's Content-Security-Policy (`'nonce-…'`).
pub fn nonce_in(policy: &str) -> Option<&str> {
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let len = policy[start..].find('\'')?;
    Some(&policy[start..start + len]).filter(|n| !n.is_empty())
}

/// Pages only: not files, server functions, downloads or the service worker.
fn may_be_kept(req: &Request) -> bool {
    let path = req.uri().path();
    req.method() == Method::GET
        && !crate::session::is_asset(path)
        && !path.starts_with("/api/")
        && !path.starts_with("/files/")
        && !path.starts_with("/campaign-files/")
}

/// A reload asks for the page as it is now.
fn wants_it_fresh(headers: &HeaderMap) -> bool {
    let says = |name, what: &[&str]| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| what.iter().any(|w| v.to_ascii_lowercase().contains(w)))
    };
    says(
        header::CACHE_CONTROL,
        &["no-cache", "no-store", "max-age=0"],
    ) || says(header::PRAGMA, &["no-cache"])
}

fn is_keepable(res: &Response) -> bool {
    res.status() == StatusCode::OK
        && !res.headers().contains_key(header::SET_COOKIE)
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
}

pub async fn serve_kept_pages(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    if !may_be_kept(&req) {
        return next.run(req).await;
    }
    let asked = Asked {
        path_and_query: req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        headers: ASKED_BY
            .iter()
            .map(|name| req.headers().get_all(name).iter().cloned().collect())
            .collect(),
    };
    let hit = |state: &Arc<AppState>, page: Arc<Page>| {
        state.pages.served.fetch_add(1, Ordering::Relaxed);
        page.serve(&leptos::nonce::Nonce::new().to_string())
    };
    let mut leading = None;
    if !wants_it_fresh(req.headers()) {
        if let Some(page) = state
            .pages
            .fresh(&asked, state.db.changes(), Instant::now())
        {
            return hit(&state, page);
        }
        leading = lead_or_wait(&state.pages, &asked).await;
        if leading.is_none()
            && let Some(page) = state
                .pages
                .fresh(&asked, state.db.changes(), Instant::now())
        {
            return hit(&state, page);
        }
    }
    // Read before rendering: a write that ends while the page renders leaves the page
    // kept under a count that is already past.
    let changes = state.db.changes();
    let rendered = Instant::now();
    let res = next.run(req).await;
    if !is_keepable(&res) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let tee = Tee {
        chunks: body.into_data_stream(),
        copy: Some(Vec::new()),
        size: 0,
        keep: Some(Keep {
            state,
            asked,
            changes,
            rendered,
            status: parts.status,
            headers: parts.headers.clone(),
        }),
        leading,
    };
    // Sent as it streams; kept once all of it has been sent, and only then. Fused: the
    // server may ask for more after the end.
    let stream = futures::stream::unfold(tee, |mut tee| async move {
        match tee.chunks.next().await {
            Some(Ok(bytes)) => {
                tee.size += bytes.len();
                if tee.size > PAGE_BYTES {
                    tee.copy = None;
                } else if let Some(copy) = tee.copy.as_mut() {
                    copy.push(bytes.clone());
                }
                Some((Ok(bytes), tee))
            }
            Some(Err(e)) => {
                tee.copy = None;
                Some((Err(e), tee))
            }
            None => {
                tee.finish();
                None
            }
        }
    })
    .fuse();
    Response::from_parts(parts, Body::from_stream(stream))
}

/// A page's body on its way out, copied to be kept once it is complete.
struct Tee {
    chunks: axum::body::BodyDataStream,
    copy: Option<Vec<Bytes>>,
    size: usize,
    keep: Option<Keep>,
    /// Those waiting for this page are told when it is kept, or when it is dropped.
    leading: Option<Leading>,
}

struct Keep {
    state: Arc<AppState>,
    asked: Asked,
    changes: u64,
    rendered: Instant,
    status: StatusCode,
    headers: HeaderMap,
}

impl Tee {
    fn finish(&mut self) {
        if let (Some(copy), Some(keep)) = (self.copy.take(), self.keep.take()) {
            let Keep {
                state,
                asked,
                changes,
                rendered,
                status,
                mut headers,
            } = keep;
            let body = Bytes::from(copy.concat());
            let nonce = headers
                .get(header::CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .and_then(|p| Some((p, nonce_in(p)?)))
                .map(|(p, n)| (p.split(n).map(str::to_string).collect(), n.to_string()));
            let (body, policy) = match nonce {
                Some((policy, nonce)) => {
                    headers.remove(header::CONTENT_SECURITY_POLICY);
                    (cut_at(&body, nonce.as_bytes()), Some(policy))
                }
                None => (vec![body], None),
            };
            let page = Page {
                changes,
                rendered,
                status,
                headers,
                body,
                policy,
            };
            let now = state.db.changes();
            state.pages.keep(asked, page, now, Instant::now());
        }
        self.leading = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_cut_where_its_nonce_is_and_joined_with_another() {
        let page = Bytes::from_static(
            br#"<script nonce="abc">x</script><link crossorigin="abc"><p>abcd</p>"#,
        );
        let pieces = cut_at(&page, b"abc");
        assert_eq!(pieces.len(), 4);
        assert_eq!(
            join(&pieces, b"XYZW"),
            br#"<script nonce="XYZW">x</script><link crossorigin="XYZW"><p>XYZWd</p>"#.to_vec()
        );
        assert_eq!(
            join(&pieces, b"abc"),
            page.to_vec(),
            "joined again, as it was"
        );
        let plain = Bytes::from_static(b"none here");
        assert_eq!(cut_at(&plain, b"abc"), vec![plain.clone()]);
        assert_eq!(cut_at(&plain, b""), vec![plain.clone()]);
        assert_eq!(
            join(&cut_at(&Bytes::from_static(b"abc"), b"abc"), b"N"),
            b"N"
        );
    }

    #[test]
    fn the_nonce_is_read_from_the_policy() {
        assert_eq!(
            nonce_in("default-src 'self'; script-src 'self' 'nonce-4n6k_Em' 'wasm-unsafe-eval'"),
            Some("4n6k_Em")
        );
        assert_eq!(nonce_in("default-src 'self'"), None);
        assert_eq!(nonce_in("script-src 'nonce-'"), None);
    }

    #[test]
    fn a_reload_asks_for_the_page_as_it_is_now() {
        let with = |pairs: &[(header::HeaderName, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.append(k.clone(), HeaderValue::from_static(v));
            }
            wants_it_fresh(&h)
        };
        assert!(with(&[(header::CACHE_CONTROL, "max-age=0")]));
        assert!(with(&[(header::CACHE_CONTROL, "No-Cache")]));
        assert!(with(&[(header::PRAGMA, "no-cache")]));
        assert!(!with(&[]));
        assert!(!with(&[(header::CACHE_CONTROL, "max-age=600")]));
    }

    #[test]
    fn only_html_pages_that_set_no_cookie_are_kept() {
        let res = |status: StatusCode, pairs: &[(header::HeaderName, &'static str)]| {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = status;
            for (k, v) in pairs {
                r.headers_mut()
                    .append(k.clone(), HeaderValue::from_static(v));
            }
            is_keepable(&r)
        };
        let html = (header::CONTENT_TYPE, "text/html; charset=utf-8");
        assert!(res(StatusCode::OK, std::slice::from_ref(&html)));
        assert!(!res(
            StatusCode::OK,
            &[html.clone(), (header::SET_COOKIE, "a=b")]
        ));
        assert!(!res(StatusCode::NOT_FOUND, std::slice::from_ref(&html)));
        assert!(!res(
            StatusCode::OK,
            &[(header::CONTENT_TYPE, "application/json")]
        ));
    }

    #[test]
    fn a_page_is_fresh_while_nothing_is_written_and_not_for_long() {
        let now = Instant::now();
        let page = Page {
            changes: 7,
            rendered: now,
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: vec![Bytes::from_static(b"page")],
            policy: None,
        };
        assert!(page.is_fresh(7, now + Duration::from_millis(1500)));
        assert!(!page.is_fresh(8, now), "something was written");
        assert!(!page.is_fresh(7, now + FRESH_FOR), "too old");
    }
}
