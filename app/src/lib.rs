//! 整改通 · Rectify: the Leptos application (components, routes and server functions).
//!
//! The server-only half (database, services) sits behind the `ssr` feature; the browser
//! gets plain serde types. Pages are rendered on the server and only the few interactive
//! islands are hydrated (see README: "Islands, not full hydration").
#![recursion_limit = "256"]

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

pub mod admin;
pub mod auth;
pub mod error;
pub mod home;
pub mod ledger;
pub mod org;
pub mod ui;
#[cfg(feature = "ssr")]
pub mod web;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod demo;

pub use error::AppError;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
