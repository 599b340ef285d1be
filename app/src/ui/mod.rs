//! The application shell: document, routes, the frame around every page, and the
//! pieces every page shares (messages, error pages).

pub mod errors;
pub mod frame;
pub mod labels;
pub mod notice;
pub mod pwa;

use crate::admin::pages::{DistrictsPage, UnitsPage, UsersPage};
use crate::auth::pages::{AccountPage, LoginPage};
use crate::home::page::HomePage;
use crate::i18n::*;
use crate::ledger::pages::{
    AcceptancePage, ClosureSheetPage, HistoryPage, ItemPage, LedgerPage, ListsPage, NoticePage,
    RegisterPage,
};
use errors::{NotFoundPage, OfflinePage};
use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

/// The HTML document around the app. The `<html lang>` is set by the i18n context.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::web::content_security_policy();
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
                <AutoReload options=options.clone() />
                <link id="leptos" rel="stylesheet" href=stylesheet_href(&options) />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The content hashes cargo-leptos wrote beside the server binary (`css`, `js`, `wasm`,
/// …), none when the build does not hash its files.
pub fn asset_hashes(options: &LeptosOptions) -> Vec<(String, String)> {
    options
        .hash_files
        .then(|| std::env::current_exe().ok())
        .flatten()
        .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())))
        .and_then(|path| std::fs::read_to_string(path).ok())
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(kind, hash)| (kind.trim().to_string(), hash.trim().to_string()))
        .collect()
}

/// `/pkg/rectify.<hash>.<ext>`, as the pages and the service worker name the asset.
pub fn asset_url(options: &LeptosOptions, hashes: &[(String, String)], ext: &str) -> String {
    let hash = hashes
        .iter()
        .find(|(kind, _)| kind == ext)
        .map(|(_, hash)| format!(".{hash}"))
        .unwrap_or_default();
    format!(
        "/{}/{}{hash}.{ext}",
        options.site_pkg_dir, options.output_name
    )
}

/// The stylesheet's address. leptos_meta's `HashedStylesheet` reads the hash file on
/// every page; the hash cannot change while the process runs, so it is read once.
fn stylesheet_href(options: &LeptosOptions) -> &'static str {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HREF.get_or_init(|| asset_url(options, &asset_hashes(options), "css"))
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Link rel="manifest" href="/manifest.webmanifest" />
        <Link rel="icon" href="/icons/icon-192.png" />
        <Link rel="apple-touch-icon" href="/icons/icon-192.png" />
        <Meta name="theme-color" content="#b3261e" />
        <I18nContextProvider enable_cookie=false>
            <AppTitle />
            <Router>
                <Routes fallback=|| view! { <NotFoundPage /> }>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/me") view=AccountPage />
                    <Route path=path!("/offline") view=OfflinePage />
                    <Route path=path!("/admin/districts") view=DistrictsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/units") view=UnitsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/users") view=UsersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/lists") view=ListsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/reminders") view=crate::reminders::rules_page::ReminderRulesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/channels") view=crate::reminders::channels_page::ChannelsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/security") view=crate::security::page::SecurityLogPage ssr=SsrMode::Async />
                    <Route path=path!("/password") view=crate::auth::pages::PasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/ledger") view=LedgerPage ssr=SsrMode::Async />
                    <Route path=path!("/dashboard") view=crate::stats::page::DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/ledger/new") view=RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("/ledger/import") view=crate::exchange::page::ImportPage ssr=SsrMode::Async />
                    <Route path=path!("/ledger/history") view=HistoryPage ssr=SsrMode::Async />
                    <Route path=path!("/acceptance") view=AcceptancePage ssr=SsrMode::Async />
                    <Route path=path!("/inbox") view=crate::reminders::page::InboxPage ssr=SsrMode::Async />
                    <Route path=path!("/items/:id") view=ItemPage ssr=SsrMode::Async />
                    <Route path=path!("/campaigns") view=crate::campaigns::pages::CampaignsPage ssr=SsrMode::Async />
                    <Route path=path!("/campaigns/new") view=crate::campaigns::pages::NewCampaignPage ssr=SsrMode::Async />
                    <Route path=path!("/campaigns/:id") view=crate::campaigns::pages::CampaignPage ssr=SsrMode::Async />
                    <Route path=path!("/returns/:id") view=crate::campaigns::pages::ReturnPage ssr=SsrMode::Async />
                    <Route path=path!("/verifications/:id") view=crate::campaigns::pages::VerificationPage ssr=SsrMode::Async />
                    <Route path=path!("/items/:id/notice") view=NoticePage ssr=SsrMode::Async />
                    <Route path=path!("/items/:id/closure-sheet") view=ClosureSheetPage ssr=SsrMode::Async />
                </Routes>
            </Router>
            <pwa::PwaSupport />
        </I18nContextProvider>
    }
}

/// The page's title and description, as plain text: a page is rendered in one language
/// (changing it loads the page again). A closure reading the language here was read by
/// the server after the page's reactive owner had gone, and under concurrent requests
/// panicked ("a reactive value that has already been disposed"), costing a re-render.
#[component]
fn AppTitle() -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let tagline = td_string!(locale, app_tagline).to_string();
    view! {
        <Title text=format!("{} · {tagline}", td_string!(locale, app_name)) />
        <Meta name="description" content=tagline />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_urls_carry_their_own_hash() {
        let options = LeptosOptions::builder().output_name("rectify").build();
        let hashes = vec![
            ("css".to_string(), "c55".to_string()),
            ("wasm".to_string(), "w4".to_string()),
        ];
        assert_eq!(asset_url(&options, &hashes, "css"), "/pkg/rectify.c55.css");
        assert_eq!(asset_url(&options, &hashes, "wasm"), "/pkg/rectify.w4.wasm");
        assert_eq!(asset_url(&options, &hashes, "js"), "/pkg/rectify.js");
        assert!(asset_hashes(&options).is_empty(), "no hashing, no hashes");
    }
}
