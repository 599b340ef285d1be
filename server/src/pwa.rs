//! The service worker, served with the current (content-hashed) asset names in its
//! precache list, and long-lived caching for those hashed assets.

use app::ui::{asset_hashes, asset_url};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::prelude::LeptosOptions;

const TEMPLATE: &str = include_str!("../../public/sw.js");

/// `/pkg/rectify.<hash>.js` etc., as the pages reference them.
pub fn shell_asset_urls(options: &LeptosOptions) -> Vec<String> {
    let hashes = asset_hashes(options);
    ["css", "js", "wasm"]
        .map(|ext| asset_url(options, &hashes, ext))
        .to_vec()
}

/// The service worker script, its cache version following the assets' hashes so that a
/// new build installs a new worker and drops the old caches.
pub fn service_worker_script(options: &LeptosOptions) -> String {
    let assets = shell_asset_urls(options);
    let version: String = asset_hashes(options)
        .iter()
        .map(|(_, h)| h.as_str())
        .collect::<Vec<_>>()
        .join("-");
    let list = assets
        .iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(", ");
    TEMPLATE.replace("'__SHELL_ASSETS__'", &list).replace(
        "__VERSION__",
        if version.is_empty() { "dev" } else { &version },
    )
}

pub async fn service_worker(State(options): State<LeptosOptions>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            // The browser must always see the newest worker.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        service_worker_script(&options),
    )
        .into_response()
}

/// Hashed assets never change under their name: let phones keep them for a year.
pub async fn cache_hashed_assets(
    State(options): State<std::sync::Arc<LeptosOptions>>,
    req: Request,
    next: Next,
) -> Response {
    let hashed = options.hash_files
        && req
            .uri()
            .path()
            .starts_with(&format!("/{}/", options.site_pkg_dir));
    let mut res = next.run(req).await;
    if hashed && res.status().is_success() {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_hashing_the_worker_precaches_the_plain_names() {
        let options = LeptosOptions::builder().output_name("rectify").build();
        let sw = service_worker_script(&options);
        assert!(sw.contains("'/pkg/rectify.css', '/pkg/rectify.js', '/pkg/rectify.wasm'"));
        assert!(sw.contains("const VERSION = 'dev';"));
        assert!(!sw.contains("__"));
    }
}
