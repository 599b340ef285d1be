//! The one island every page carries: it registers the service worker (app shell
//! cache, offline page) and marks the page hydrated for tests and styles.

use leptos::prelude::*;

#[island]
pub fn PwaSupport() -> impl IntoView {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let window = leptos::prelude::window();
            // Registering is best-effort: without it the app still works online.
            let _ = window.navigator().service_worker().register("/sw.js");
            if let Some(body) = window.document().and_then(|d| d.body()) {
                let _ = body.set_attribute("data-hydrated", "true");
            }
        }
    });
}
