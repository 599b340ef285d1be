//! Messages after a form post: the error that sent the user back, or the confirmation.

use super::labels::error_text;
use crate::AppError;
use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The value of a query parameter of the current page (e.g. a field kept after an error).
pub fn query_value(name: &'static str) -> String {
    use_query_map()
        .with_untracked(|q| q.get(name))
        .unwrap_or_default()
}

/// The error a refused form post brought back, if any.
pub fn query_error() -> Option<AppError> {
    let q = use_query_map();
    q.with_untracked(|q| AppError::from_query(|k| q.get(k)))
}

/// Shows the error in the query, in the user's language, where a screen reader hears it.
#[component]
pub fn ErrorNotice() -> impl IntoView {
    let i18n = use_i18n();
    query_error().map(|e| {
        let text = error_text(i18n.get_locale_untracked(), &e);
        view! {
            <div class="notice notice-error" role="alert" data-error=e.to_query().first().map(|(_, v)| v.clone())>
                <strong>{t!(i18n, errors.title)}</strong>
                " "
                <span>{text}</span>
            </div>
        }
    })
}

/// A confirmation when the query carries `flag`.
#[component]
pub fn SuccessNotice(flag: &'static str, children: ChildrenFn) -> impl IntoView {
    let shown = !query_value(flag).is_empty();
    shown.then(|| view! { <div class="notice notice-ok" role="status">{children()}</div> })
}
