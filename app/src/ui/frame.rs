//! The frame around every signed-in page: a top bar, and the navigation that is a
//! bottom tab bar on phones and a side bar on wide screens (CSS decides).

use crate::auth::api::{SetLanguage, SignOut};
use crate::auth::{Role, SessionUser};
use crate::i18n::*;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_location;

/// The language switch: a plain form, so it works before (or without) any script.
#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let other = match i18n.get_locale_untracked() {
        Locale::zh => "en",
        Locale::en => "zh",
    };
    view! {
        <form method="post" action=SetLanguage::PATH class="lang-switch">
            <input type="hidden" name="lang" value=other />
            <button type="submit" class="link-button" lang=other data-testid="language-switch">
                {t!(i18n, nav.switch_language)}
            </button>
        </form>
    }
}

#[component]
pub fn SignOutButton() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <form method="post" action=SignOut::PATH class="sign-out">
            <button type="submit" class="link-button">{t!(i18n, nav.sign_out)}</button>
        </form>
    }
}

struct NavItem {
    href: &'static str,
    icon: &'static str,
    label: String,
}

fn nav_items(locale: Locale, role: Role) -> Vec<NavItem> {
    let mut items = vec![NavItem {
        href: "/",
        icon: "⌂",
        label: td_string!(locale, nav.home).to_string(),
    }];
    if !matches!(
        role,
        Role::Administrator | Role::UnitHead | Role::UnitHandler
    ) {
        items.push(NavItem {
            href: "/ledger",
            icon: "☰",
            label: td_string!(locale, nav.ledger).to_string(),
        });
    }
    if matches!(
        role,
        Role::CentralOffice | Role::BusinessDivision | Role::DistrictOffice
    ) {
        items.push(NavItem {
            href: "/dashboard",
            icon: "▥",
            label: td_string!(locale, nav.stats).to_string(),
        });
    }
    if !matches!(role, Role::Administrator | Role::Partner) {
        items.push(NavItem {
            href: "/campaigns",
            icon: "⟲",
            label: td_string!(locale, nav.campaigns).to_string(),
        });
    }
    if matches!(role, Role::CentralOffice | Role::Partner) {
        items.push(NavItem {
            href: "/acceptance",
            icon: "✓",
            label: td_string!(locale, nav.acceptance).to_string(),
        });
    }
    if role != Role::Administrator {
        items.push(NavItem {
            href: "/inbox",
            icon: "✉",
            label: td_string!(locale, nav.inbox).to_string(),
        });
    }
    if role == Role::Administrator {
        items.push(NavItem {
            href: "/admin/reminders",
            icon: "⏰",
            label: td_string!(locale, nav.reminder_rules).to_string(),
        });
        items.push(NavItem {
            href: "/admin/lists",
            icon: "≡",
            label: td_string!(locale, nav.lists).to_string(),
        });
        items.push(NavItem {
            href: "/admin/users",
            icon: "☷",
            label: td_string!(locale, nav.users).to_string(),
        });
        items.push(NavItem {
            href: "/admin/units",
            icon: "▦",
            label: td_string!(locale, nav.units).to_string(),
        });
        items.push(NavItem {
            href: "/admin/districts",
            icon: "◩",
            label: td_string!(locale, nav.districts).to_string(),
        });
        items.push(NavItem {
            href: "/admin/security",
            icon: "⚿",
            label: td_string!(locale, nav.security).to_string(),
        });
    }
    items.push(NavItem {
        href: "/me",
        icon: "☺",
        label: td_string!(locale, nav.account).to_string(),
    });
    items
}

#[component]
pub fn AppFrame(user: SessionUser, children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let here = use_location().pathname.get_untracked();
    provide_context(crate::ui::errors::InFrame);
    // The unread count on the inbox tab: one small query per page (it stops at 100).
    let unread = Resource::new(|| (), |_| crate::reminders::api::inbox_unread());
    let items = nav_items(locale, user.role)
        .into_iter()
        .map(|item| {
            let current = if item.href == here {
                Some("page")
            } else {
                None
            };
            view! {
                <li>
                    <a href=item.href aria-current=current>
                        <span class="nav-icon" aria-hidden="true">{item.icon}</span>
                        <span class="nav-label">{item.label}</span>
                        {(item.href == "/inbox").then(|| view! {
                            <Suspense fallback=|| ()>
                                {move || Suspend::new(async move {
                                    unread.await.ok().and_then(crate::reminders::badge).map(|n| view! {
                                        <span class="badge" data-testid="unread-count">{n}</span>
                                    })
                                })}
                            </Suspense>
                        })}
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <a class="skip-link" href="#main">{t!(i18n, skip_to_content)}</a>
        <header class="topbar">
            <a class="brand" href="/">{t!(i18n, app_name)}</a>
            <span class="topbar-user" data-testid="current-user">{user.display_name.clone()}</span>
            <LanguageSwitch />
            <SignOutButton />
        </header>
        <nav class="appnav" aria-label=move || t_string!(i18n, nav.menu)>
            <ul>{items}</ul>
        </nav>
        <main id="main" class="content">{children()}</main>
    }
}
