//! The administrator's view of the security log (`/admin/security`): newest first,
//! filtered by kind, a hundred a page. A plain GET form, so it works without JavaScript.

use super::api::security_log;
use super::{PAGE_SIZE, SecurityKind};
use crate::AppError;
use crate::auth::{Role, current_user};
use crate::i18n::*;
use crate::ui::errors::PageError;
use crate::ui::frame::AppFrame;
use crate::ui::notice::query_value;
use leptos::prelude::*;

pub fn kind_label(locale: Locale, kind: SecurityKind) -> &'static str {
    match kind {
        SecurityKind::SignIn => td_string!(locale, security.kind_sign_in),
        SecurityKind::SignInFailed => td_string!(locale, security.kind_sign_in_failed),
        SecurityKind::SignInLocked => td_string!(locale, security.kind_sign_in_locked),
        SecurityKind::SignOut => td_string!(locale, security.kind_sign_out),
        SecurityKind::PasswordChanged => td_string!(locale, security.kind_password_changed),
        SecurityKind::Refused => td_string!(locale, security.kind_refused),
        SecurityKind::AdminAction => td_string!(locale, security.kind_admin_action),
    }
}

#[component]
pub fn SecurityLogPage() -> impl IntoView {
    let i18n = use_i18n();
    let user = match current_user() {
        Some(u) if u.role == Role::Administrator => u,
        Some(_) => return view! { <PageError error=AppError::Forbidden /> }.into_any(),
        None => return view! { <PageError error=AppError::NotSignedIn /> }.into_any(),
    };
    let kind = query_value("kind");
    let page: usize = query_value("page").parse().unwrap_or(0);
    let events = Resource::new(
        {
            let kind = kind.clone();
            move || (kind.clone(), page)
        },
        |(kind, page)| security_log(kind, page),
    );
    let locale = i18n.get_locale_untracked();
    view! {
        <AppFrame user>
            <h1>{t!(i18n, security.title)}</h1>
            <p class="hint">{t!(i18n, security.intro)}</p>
            <form method="get" action="/admin/security" class="card stack filters">
                <label>
                    <span>{t!(i18n, security.kind)}</span>
                    <select name="kind">
                        <option value="" selected=kind.is_empty()>{t!(i18n, security.all_kinds)}</option>
                        {SecurityKind::ALL.into_iter().map(|k| {
                            let selected = k.as_str() == kind;
                            view! { <option value=k.as_str() selected=selected>{kind_label(locale, k)}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="button">{t!(i18n, security.show)}</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match events.await {
                        Ok(list) if list.is_empty() => view! { <p class="hint">{t!(i18n, admin.empty)}</p> }.into_any(),
                        Ok(list) => {
                            let more = list.len() == PAGE_SIZE;
                            let kind = query_value("kind");
                            view! {
                                <ul class="card-list" data-testid="security-log">
                                    {list.into_iter().map(|e| view! {
                                        <li class="card" data-kind=e.kind.as_str()>
                                            <strong>{kind_label(locale, e.kind)}</strong>
                                            " "
                                            <span class="mono">{e.username.unwrap_or_default()}</span>
                                            <div class="hint mono">{e.at} " · " {e.ip.unwrap_or_default()} " · " {e.method} " " {e.path} " · " {e.status}</div>
                                            <div class="hint">{e.detail}</div>
                                        </li>
                                    }).collect_view()}
                                </ul>
                                <nav class="pager">
                                    {(page > 0).then(|| view! {
                                        <a class="button secondary" href=format!("/admin/security?kind={kind}&page={}", page - 1)>{t!(i18n, security.newer)}</a>
                                    })}
                                    {more.then(|| view! {
                                        <a class="button secondary" href=format!("/admin/security?kind={kind}&page={}", page + 1)>{t!(i18n, security.older)}</a>
                                    })}
                                </nav>
                            }.into_any()
                        }
                        Err(e) => view! { <PageError error=e /> }.into_any(),
                    }
                })}
            </Suspense>
        </AppFrame>
    }
    .into_any()
}
