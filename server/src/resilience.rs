//! A page request whose rendering panicked is rendered again (up to [`RENDERS`] times).
//! Leptos 0.8's per-request reactive arenas have a rare race under the multi-threaded
//! runtime (an owner cleaned up outside its arena: "the `sandboxed-arenas` feature is
//! active, but no Arena is active", leptos issue #3729; or a context signal read after it
//! was disposed), which kills the connection and leaves the visitor with an empty page. Reading a page again is safe; anything that writes (every
//! non-GET request) is never repeated, and a page that panics on every try becomes a
//! plain 500.
//!
//! The panic may also happen in a task the rendering spawned (a resource's loader, a
//! suspense): the page's own future then does not panic but waits for that task for ever.
//! So Leptos's tasks are spawned through [`watch_render_tasks`]'s executor, which tells the
//! page's rendering when one of its tasks panicked; the rendering is then given
//! [`GRACE`] to finish anyway and otherwise counts as a panicked try.

use any_spawner::{CustomExecutor, Executor, PinnedFuture, PinnedLocalFuture};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::watch;

/// How many times a page is rendered before a panic becomes a 500. Under load about one
/// render in two hundred hit the race in a 30-minute soak (debug build, 2 cores), and
/// about one retry in thirty hit it again: a third try makes a visible error rare.
pub const RENDERS: usize = 3;

/// How long a page whose task panicked may still take to finish before it is rendered
/// again (a task that panicked after its part of the page was written does no harm).
pub const GRACE: Duration = Duration::from_secs(2);

tokio::task_local! {
    /// The rendering a task belongs to, carried into every task it spawns.
    static RENDERING: Rendering;
}

/// One try at rendering a page: whether any of its tasks panicked.
#[derive(Clone)]
struct Rendering(Arc<watch::Sender<bool>>);

impl Rendering {
    fn new() -> Self {
        Rendering(Arc::new(watch::channel(false).0))
    }

    fn task_panicked(&self) {
        self.0.send_replace(true);
    }

    /// Resolves once a task of this rendering has panicked.
    fn panicked(&self) -> impl Future<Output = ()> + use<> {
        let mut rx = self.0.subscribe();
        async move {
            // The sender lives as long as the rendering's tasks; no answer means none panicked.
            if rx.wait_for(|panicked| *panicked).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// `task`, reporting a panic to this rendering and handing it on to its own tasks.
    fn watch<F: Future<Output = ()>>(self, task: F) -> impl Future<Output = ()> {
        RENDERING.scope(self.clone(), async move {
            if AssertUnwindSafe(task).catch_unwind().await.is_err() {
                self.task_panicked();
            }
        })
    }
}

/// Leptos's executor: tokio, with a page's tasks watched for panics.
struct WatchingExecutor;

impl CustomExecutor for WatchingExecutor {
    fn spawn(&self, task: PinnedFuture<()>) {
        match RENDERING.try_with(Rendering::clone) {
            Ok(rendering) => tokio::spawn(rendering.watch(task)),
            Err(_) => tokio::spawn(task),
        };
    }

    fn spawn_local(&self, task: PinnedLocalFuture<()>) {
        match RENDERING.try_with(Rendering::clone) {
            Ok(rendering) => tokio::task::spawn_local(rendering.watch(task)),
            Err(_) => tokio::task::spawn_local(task),
        };
    }

    fn poll_local(&self) {}
}

/// Makes Leptos spawn its tasks through the watching executor. Must run before Leptos
/// sets up its own (the router does it first); false when another executor was set first.
pub fn watch_render_tasks() -> bool {
    static WATCHING: OnceLock<bool> = OnceLock::new();
    *WATCHING.get_or_init(|| {
        let set = Executor::init_custom_executor(WatchingExecutor).is_ok();
        if !set {
            tracing::warn!(
                "another task executor was set first: a panic in a page's task leaves it waiting"
            );
        }
        set
    })
}

pub async fn retry_page_after_panic(req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return next.run(req).await;
    }
    // A GET has no body to keep; its parts are enough to ask again.
    let (parts, body) = req.into_parts();
    let mut body = Some(body);
    for attempt in 1..=RENDERS {
        let req = Request::from_parts(parts.clone(), body.take().unwrap_or_else(Body::empty));
        let rendering = Rendering::new();
        let task_panicked = rendering.panicked();
        let mut render = std::pin::pin!(RENDERING.scope(
            rendering,
            AssertUnwindSafe(next.clone().run(req)).catch_unwind()
        ));
        let outcome = tokio::select! {
            biased;
            outcome = &mut render => outcome.ok(),
            () = task_panicked => tokio::time::timeout(GRACE, &mut render)
                .await
                .ok()
                .and_then(Result::ok),
        };
        match outcome {
            Some(response) => return response,
            None if attempt < RENDERS => {
                tracing::warn!(path = %parts.uri.path(), attempt, "page rendering panicked; rendering it again");
            }
            None => {}
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

    /// A page whose first rendering spawns a task that spawns one that panics, and then
    /// waits for it for ever (as a suspense waits for a resource whose loader panicked).
    fn app_with_tasks(calls: Arc<AtomicUsize>, finish_anyway: bool) -> Router {
        let handler = move || {
            let calls = calls.clone();
            async move {
                if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    Executor::spawn(async {
                        Executor::spawn(async { panic!("no arena is active") });
                    });
                    if !finish_anyway {
                        std::future::pending::<()>().await;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                "page"
            }
        };
        Router::new()
            .route("/page", get(handler))
            .layer(axum::middleware::from_fn(retry_page_after_panic))
    }

    #[tokio::test]
    async fn a_page_left_waiting_by_its_panicked_task_is_rendered_again() {
        assert!(watch_render_tasks(), "the watching executor is Leptos's");
        let calls = Arc::new(AtomicUsize::new(0));
        let answered = tokio::time::timeout(
            Duration::from_secs(30),
            call(app_with_tasks(calls.clone(), false), "GET", "/page"),
        )
        .await;
        assert_eq!(answered, Ok(StatusCode::OK));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_page_that_finishes_despite_a_panicked_task_is_served_once() {
        assert!(watch_render_tasks(), "the watching executor is Leptos's");
        let calls = Arc::new(AtomicUsize::new(0));
        assert_eq!(
            call(app_with_tasks(calls.clone(), true), "GET", "/page").await,
            StatusCode::OK
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_task_spawned_outside_a_page_runs_as_before() {
        assert!(watch_render_tasks(), "the watching executor is Leptos's");
        let (tx, rx) = tokio::sync::oneshot::channel();
        Executor::spawn(async move {
            let _ = tx.send(7);
        });
        assert_eq!(rx.await, Ok(7));
    }
}
