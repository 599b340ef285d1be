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

/// How long a kept page may be served without anything written here.
pub const FRESH_FOR: Duration = Duration::from_secs(2);
/// Pages kept at most (a page is a few KiB; at most 500 × 256 KiB).
pub const PAGES: usize = 500;
/// A larger page is sent but not kept.
pub const PAGE_BYTES: usize = 256 * 1024;

/// What makes two requests ask for the same page.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct Asked {
    path_and_query: String,
    headers: Vec<Option<HeaderValue>>,
}

/// The request headers a page may depend on.
const ASKED_BY: [header::HeaderName; 4] = [
    header::COOKIE,
    header::HOST,
    header::ACCEPT,
    header::HeaderName::from_static("x-forwarded-proto"),
];

struct Page {
    /// [`app::db::Db::changes`] when its rendering began.
    changes: u64,
    rendered: Instant,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    /// The nonce it was rendered with, replaced in every copy served.
    nonce: Option<String>,
}

/// This process's kept pages.
#[derive(Default)]
pub struct PageCache {
    pages: Mutex<HashMap<Asked, Arc<Page>>>,
    served: AtomicU64,
}

impl PageCache {
    /// How many responses were served from kept pages.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Asked, Arc<Page>>> {
        self.pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn fresh(&self, asked: &Asked, changes: u64, now: Instant) -> Option<Arc<Page>> {
        self.lock()
            .get(asked)
            .filter(|p| p.is_fresh(changes, now))
            .cloned()
    }

    /// Keeps `page`, and forgets those no longer fresh (`changes` is the count now), so
    /// that only pages of the last [`FRESH_FOR`] take memory.
    fn keep(&self, asked: Asked, page: Page, changes: u64, now: Instant) {
        let mut pages = self.lock();
        pages.retain(|_, p| p.is_fresh(changes, now));
        // A page something was written during is out of date already.
        if page.is_fresh(changes, now) && pages.len() < PAGES {
            pages.insert(asked, Arc::new(page));
        }
    }
}

impl Page {
    fn is_fresh(&self, changes: u64, now: Instant) -> bool {
        self.changes == changes && now.duration_since(self.rendered) < FRESH_FOR
    }

    /// A copy to send, with `nonce` in place of the one it was rendered with.
    fn serve(&self, nonce: &str) -> Response {
        let (body, headers) = match &self.nonce {
            Some(old) => {
                let mut headers = self.headers.clone();
                if let Some(policy) = headers
                    .get(header::CONTENT_SECURITY_POLICY)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| HeaderValue::from_str(&v.replace(old.as_str(), nonce)).ok())
                {
                    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
                }
                (
                    Body::from(replace_all(&self.body, old.as_bytes(), nonce.as_bytes())),
                    headers,
                )
            }
            None => (Body::from(self.body.clone()), self.headers.clone()),
        };
        let mut res = Response::new(body);
        *res.status_mut() = self.status;
        *res.headers_mut() = headers;
        res
    }
}

/// `text` with every `old` in it replaced by `new`.
pub fn replace_all(text: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 8 * new.len());
    let mut rest = text;
    if old.is_empty() {
        return text.to_vec();
    }
    while let Some(at) = rest.windows(old.len()).position(|w| w == old) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(new);
        rest = &rest[at + old.len()..];
    }
    out.extend_from_slice(rest);
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

pub async fn serve_kept_pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
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
            .map(|name| req.headers().get(name).cloned())
            .collect(),
    };
    // Read before rendering: a write that ends while the page renders leaves the page
    // kept under a count that is already past.
    let changes = state.db.changes();
    if !wants_it_fresh(req.headers())
        && let Some(page) = state.pages.fresh(&asked, changes, Instant::now())
    {
        state.pages.served.fetch_add(1, Ordering::Relaxed);
        return page.serve(&leptos::nonce::Nonce::new().to_string());
    }
    let rendered = Instant::now();
    let res = next.run(req).await;
    if !is_keepable(&res) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let nonce = parts
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .and_then(nonce_in)
        .map(str::to_string);
    let tee = Tee {
        chunks: body.into_data_stream(),
        copy: Some(Vec::new()),
        size: 0,
        keep: Some(Keep {
            state,
            asked,
            page: Page {
                changes,
                rendered,
                status: parts.status,
                headers: parts.headers.clone(),
                body: Bytes::new(),
                nonce,
            },
        }),
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
}

struct Keep {
    state: AppState,
    asked: Asked,
    page: Page,
}

impl Tee {
    fn finish(&mut self) {
        if let (Some(copy), Some(mut keep)) = (self.copy.take(), self.keep.take()) {
            keep.page.body = copy.concat().into();
            let now = keep.state.db.changes();
            keep.state
                .pages
                .keep(keep.asked, keep.page, now, Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nonce_in_a_page_is_replaced() {
        let page = br#"<script nonce="abc">x</script><link crossorigin="abc"><p>abcd</p>"#;
        assert_eq!(
            replace_all(page, b"abc", b"XYZW"),
            br#"<script nonce="XYZW">x</script><link crossorigin="XYZW"><p>XYZWd</p>"#.to_vec()
        );
        assert_eq!(
            replace_all(b"none here", b"abc", b"X"),
            b"none here".to_vec()
        );
        assert_eq!(replace_all(b"abc", b"", b"X"), b"abc".to_vec());
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
            body: Bytes::from_static(b"page"),
            nonce: None,
        };
        assert!(page.is_fresh(7, now + Duration::from_millis(1500)));
        assert!(!page.is_fresh(8, now), "something was written");
        assert!(!page.is_fresh(7, now + FRESH_FOR), "too old");
    }
}
