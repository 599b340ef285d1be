//! The axum server around the Leptos app: configuration, the session middleware, the
//! router. `main.rs` is only the command line.

pub mod availability;
pub mod bench;
pub mod client_address;
pub mod config;
pub mod drill;
pub mod page_cache;
pub mod pwa;
pub mod resilience;
pub mod security;
pub mod session;

use app::db::Db;
use app::ui::{App, shell};
use app::web::Settings;
use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::{get, post};
use leptos::prelude::*;
use leptos_axum::{
    AxumRouteListing, LeptosRoutes, generate_route_list, handle_server_fns_with_context,
};
use tower_http::compression::CompressionLayer;

/// A handler that does nothing but answer: the benchmark's yardstick for the rendered
/// pages, and a liveness probe for whoever runs the server.
pub const BARE_PATH: &str = "/bare";

async fn bare() -> &'static str {
    "ok"
}

/// The plain HTTP routes beside the pages and the server functions: file downloads,
/// uploads, multipart forms and exports. Listed here once, for the router and for the
/// authorisation matrix test, which fails when one has no entry.
pub fn http_routes<S: Clone + Send + Sync + 'static>() -> Vec<(
    axum::http::Method,
    &'static str,
    axum::routing::MethodRouter<S>,
)> {
    use axum::http::Method;
    vec![
        (
            Method::POST,
            app::ledger::files::REPORT_PROGRESS_PATH,
            post(app::ledger::files::report_progress),
        ),
        (
            Method::GET,
            "/files/{id}",
            get(app::ledger::files::download),
        ),
        (
            Method::GET,
            app::exchange::EXPORT_PATH,
            get(app::exchange::http::ledger_export),
        ),
        (
            Method::GET,
            app::exchange::STATS_EXPORT_PATH,
            get(app::exchange::http::stats_export),
        ),
        (
            Method::POST,
            app::exchange::IMPORT_PATH,
            post(app::exchange::http::import_upload),
        ),
        (
            Method::POST,
            app::campaigns::RETURN_PATH,
            post(app::campaigns::http::submit_return),
        ),
        (
            Method::POST,
            app::campaigns::VERIFY_PATH,
            post(app::campaigns::http::record_verification),
        ),
        (
            Method::POST,
            app::campaigns::http::CREATE_CAMPAIGN_PATH,
            post(app::campaigns::http::create_campaign),
        ),
        (
            Method::POST,
            app::campaigns::http::PLAN_VERIFICATION_PATH,
            post(app::campaigns::http::plan_verification),
        ),
        (
            Method::GET,
            "/campaign-files/{owner}/{sha}",
            get(app::campaigns::http::download),
        ),
    ]
}

/// The most a form of plain fields holds (a campaign, a visit plan).
const FORM_BODY_LIMIT: usize = 64 * 1024;

/// The most a plain route's body may hold: a form kilobytes, an upload its files' limit.
/// `None` for a path that takes no body. The guard checks who is calling and the length
/// declared before any of the body is read.
pub fn body_limit(path: &str) -> Option<usize> {
    use app::{campaigns, exchange, ledger};
    Some(match path {
        ledger::files::REPORT_PROGRESS_PATH => ledger::files::REPORT_BODY_LIMIT,
        campaigns::RETURN_PATH | campaigns::VERIFY_PATH => campaigns::FORM_BODY_LIMIT,
        exchange::IMPORT_PATH => exchange::sheet::MAX_BYTES + FORM_BODY_LIMIT,
        campaigns::CREATE_CAMPAIGN_PATH | campaigns::PLAN_VERIFICATION_PATH => FORM_BODY_LIMIT,
        _ => return None,
    })
}

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub leptos_options: LeptosOptions,
    /// The rate limits of this process.
    pub limits: std::sync::Arc<security::Limits>,
    /// Whether the database answers (a SurrealDB server can go away).
    pub database: availability::Database,
    /// Pages rendered a moment ago, served again while nothing was written.
    pub pages: std::sync::Arc<page_cache::PageCache>,
    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub proxies: client_address::TrustedProxies,
}

/// The app's page routes, found once per process. Finding them renders the app with
/// every resource held back by a flag Leptos keeps for the whole process, not for this
/// call: a page of another router whose resource is first polled in that moment waits
/// for ever (leptos issue 4773). Found once, before any router exists, no page can be
/// rendering then. The HTTP tests, one router each and run side by side, hung on a page
/// now and then until this was done once. Whoever else wants the list asks here.
pub fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole HTTP application: pages, server functions, static files, 404s.
pub fn router(state: AppState) -> Router {
    // Before Leptos sets up its own executor, so a page's panicking task is noticed.
    resilience::watch_render_tasks();
    let routes = page_routes();
    let context = {
        let db = state.db.clone();
        let settings = state.settings.clone();
        move || {
            provide_context(db.clone());
            provide_context(settings.clone());
        }
    };
    let server_fns = {
        let context = context.clone();
        move |req: Request<Body>| handle_server_fns_with_context(context.clone(), req)
    };
    let options = state.leptos_options.clone();
    // What the middleware shares, behind one pointer: cloning the state itself (the Leptos
    // options are some twenty strings) for each layer of each request took a third of
    // the server's time serving kept pages.
    let shared = std::sync::Arc::new(state.clone());
    let mut evidence = Router::new();
    for (_, path, handler) in http_routes() {
        // The guard refuses a body declared longer unread; this cuts off one sent in
        // pieces without a length.
        let limit = body_limit(path).unwrap_or(FORM_BODY_LIMIT);
        evidence = evidence.route(
            path,
            handler.layer(axum::extract::DefaultBodyLimit::max(limit)),
        );
    }
    let evidence = evidence
        .layer(axum::Extension(state.db.clone()))
        .layer(axum::Extension(state.settings.clone()));
    Router::new()
        .merge(evidence)
        .route("/api/{*fn_name}", post(server_fns))
        .route("/sw.js", get(pwa::service_worker))
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
        // Inside the session middleware: the guard needs the signed-in user.
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            security::guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            session::session_middleware,
        ))
        // Outside the session middleware, which reads the database.
        .layer(axum::middleware::from_fn_with_state(
            state.database.clone(),
            availability::gate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(options.clone()),
            pwa::cache_hashed_assets,
        ))
        // Outside the session middleware (a kept page is served without it), inside the
        // compression (a page is kept as rendered, its nonce replaced per copy) and the
        // retries. (The HTTP tests' hangs once put down to the other order were the
        // route list's flag, see `page_routes`.)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            page_cache::serve_kept_pages,
        ))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn(
            resilience::retry_page_after_panic,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared,
            security::headers,
        ))
        // Added after the layers, so none of them wraps it.
        .route(BARE_PATH, get(bare))
        .with_state(options)
}
