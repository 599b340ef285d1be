//! 403, 404, 500 and offline pages, translated, with the right HTTP status.

use crate::i18n::*;
use leptos::prelude::*;

/// Set the HTTP status of the page being rendered on the server.
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    crate::web::set_status(code);
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

/// Put in context by the app frame: an error inside it is a section of the frame's
/// `<main>`, not a second `<main>`.
#[derive(Clone, Copy)]
pub struct InFrame;

#[component]
fn ErrorScreen(code: u16, title: String, body: String) -> impl IntoView {
    let i18n = use_i18n();
    set_status(code);
    let content = view! {
        <h1>{title}</h1>
        <p>{body}</p>
        <a class="button" href="/">{t!(i18n, pages.back_home)}</a>
    };
    if use_context::<InFrame>().is_some() {
        view! { <section class="error-page" data-status=code>{content}</section> }.into_any()
    } else {
        view! { <main class="error-page" id="main" data-status=code>{content}</main> }.into_any()
    }
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    let l = use_i18n().get_locale_untracked();
    view! {
        <ErrorScreen
            code=404
            title=td_string!(l, pages.not_found_title).to_string()
            body=td_string!(l, pages.not_found_body).to_string()
        />
    }
}

#[component]
pub fn ForbiddenPage() -> impl IntoView {
    let l = use_i18n().get_locale_untracked();
    view! {
        <ErrorScreen
            code=403
            title=td_string!(l, pages.forbidden_title).to_string()
            body=td_string!(l, pages.forbidden_body).to_string()
        />
    }
}

#[component]
pub fn ServerErrorPage() -> impl IntoView {
    let l = use_i18n().get_locale_untracked();
    view! {
        <ErrorScreen
            code=500
            title=td_string!(l, pages.server_error_title).to_string()
            body=td_string!(l, pages.server_error_body).to_string()
        />
    }
}

/// What a failed page load shows: the error page that matches the error.
#[component]
pub fn PageError(error: crate::AppError) -> impl IntoView {
    match error {
        // The session middleware normally sends these to the sign-in page first.
        crate::AppError::NotSignedIn => view! { <SignInNeededPage /> }.into_any(),
        crate::AppError::Forbidden => view! { <ForbiddenPage /> }.into_any(),
        crate::AppError::NotFound => view! { <NotFoundPage /> }.into_any(),
        _ => view! { <ServerErrorPage /> }.into_any(),
    }
}

#[component]
fn SignInNeededPage() -> impl IntoView {
    let i18n = use_i18n();
    set_status(401);
    view! {
        <main class="error-page" id="main" data-status=401>
            <h1>{t!(i18n, errors.not_signed_in)}</h1>
            <a class="button" href="/login">{t!(i18n, login.title)}</a>
        </main>
    }
}

/// Cached by the service worker at install and served when the network is gone.
#[component]
pub fn OfflinePage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <main class="error-page offline-page" id="main">
            <h1>{t!(i18n, pages.offline_title)}</h1>
            <p>{t!(i18n, pages.offline_body)}</p>
            <a class="button" href="/">{t!(i18n, pages.retry)}</a>
        </main>
    }
}
