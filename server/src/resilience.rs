//! A page request whose rendering panicked is rendered again (up to [`RENDERS`] times).
//! Leptos 0.8's per-request reactive arenas have a rare race under the multi-threaded
//! runtime (an owner cleaned up outside its arena: "the `sandboxed-arenas` feature is
//! active, but no Arena is active", leptos issue #3729; or a context signal read after it
//! was disposed), which kills the connection and leaves the visitor with an empty page. Reading a page again is safe; anything that writes (every
//! non-GET request) is never repeated, and a page that panics on every try becomes a
//! plain 500.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use std::panic::AssertUnwindSafe;

/// How many times a page is rendered before a panic becomes a 500. Under load about one
/// render in two hundred hit the race in a 30-minute soak (debug build, 2 cores), and
/// about one retry in thirty hit it again: a third try makes a visible error rare.
pub const RENDERS: usize = 3;

pub async fn retry_page_after_panic(req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return next.run(req).await;
    }
    // A GET has no body to keep; its parts are enough to ask again.
    let (parts, body) = req.into_parts();
    let mut body = Some(body);
    for attempt in 1..=RENDERS {
        let req = Request::from_parts(parts.clone(), body.take().unwrap_or_else(Body::empty));
        match AssertUnwindSafe(next.clone().run(req)).catch_unwind().await {
            Ok(response) => return response,
            Err(_) if attempt < RENDERS => {
                tracing::warn!(path = %parts.uri.path(), attempt, "page rendering panicked; rendering it again");
            }
            Err(_) => {}
        }
    }
    tracing::error!(path = %parts.uri.path(), "page rendering panicked {RENDERS} times");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::{get, post};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tower::ServiceExt;

    fn app(calls: Arc<AtomicUsize>, panics: usize) -> Router {
        let handler = move || {
            let calls = calls.clone();
            async move {
                if calls.fetch_add(1, Ordering::SeqCst) < panics {
                    panic!("arena race");
                }
                "page"
            }
        };
        Router::new()
            .route("/page", get(handler.clone()))
            .route("/form", post(handler))
            .layer(axum::middleware::from_fn(retry_page_after_panic))
    }

    async fn call(app: Router, method: &str, path: &str) -> StatusCode {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty());
        match req {
            Ok(req) => app
                .oneshot(req)
                .await
                .map(|r| r.status())
                .unwrap_or(StatusCode::IM_A_TEAPOT),
            Err(e) => panic!("{e}"),
        }
    }

    #[tokio::test]
    async fn a_page_that_panicked_once_is_served_on_the_second_try() {
        let calls = Arc::new(AtomicUsize::new(0));
        assert_eq!(
            call(app(calls.clone(), 1), "GET", "/page").await,
            StatusCode::OK
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn twice_is_served_on_the_third_try() {
        let calls = Arc::new(AtomicUsize::new(0));
        assert_eq!(
            call(app(calls.clone(), 2), "GET", "/page").await,
            StatusCode::OK
        );
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn every_try_is_a_plain_500_and_a_form_post_is_never_repeated() {
        let calls = Arc::new(AtomicUsize::new(0));
        assert_eq!(
            call(app(calls.clone(), 5), "GET", "/page").await,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(calls.load(Ordering::SeqCst), RENDERS);
        let posts = Arc::new(AtomicUsize::new(0));
        let result = futures::FutureExt::catch_unwind(AssertUnwindSafe(call(
            app(posts.clone(), 1),
            "POST",
            "/form",
        )))
        .await;
        assert!(
            result.is_err(),
            "a panicking POST is not answered by a retry"
        );
        assert_eq!(posts.load(Ordering::SeqCst), 1);
    }
}
