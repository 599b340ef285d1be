//! A page request whose rendering panicked is rendered once more. Leptos 0.8's
//! per-request reactive arenas have a rare race under the multi-threaded runtime (an
//! owner cleaned up outside its arena: "the `sandboxed-arenas` feature is active, but no
//! Arena is active", leptos issue #3729), which kills the connection and leaves the
//! visitor with an empty page. Reading a page again is safe; anything that writes (every
//! non-GET request) is never repeated, and a second panic becomes a plain 500.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use std::panic::AssertUnwindSafe;

pub async fn retry_page_after_panic(req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return next.run(req).await;
    }
    // A GET has no body to keep; its parts are enough to ask again.
    let (parts, body) = req.into_parts();
    let again = parts.clone();
    match AssertUnwindSafe(next.clone().run(Request::from_parts(parts, body)))
        .catch_unwind()
        .await
    {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(path = %again.uri.path(), "page rendering panicked; rendering it again");
            match AssertUnwindSafe(next.run(Request::from_parts(again, Body::empty())))
                .catch_unwind()
                .await
            {
                Ok(response) => response,
                Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            }
        }
    }
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
    async fn twice_is_a_plain_500_and_a_form_post_is_never_repeated() {
        let calls = Arc::new(AtomicUsize::new(0));
        assert_eq!(
            call(app(calls.clone(), 5), "GET", "/page").await,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
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
