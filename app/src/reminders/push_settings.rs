//! "Push notifications" on the account page: whether this device receives pushes, a
//! switch that asks for permission only when tapped, and a test push.

use super::api::{SendTestPush, push_device_count};
use crate::i18n::*;
use crate::ui::notice::SuccessNotice;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use serde::{Deserialize, Serialize};

/// The island's words, translated on the server (the island carries no dictionary).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushLabels {
    pub unsupported: String,
    pub off: String,
    pub on: String,
    pub denied: String,
    pub working: String,
    pub failed: String,
    pub enable: String,
    pub disable: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum PushState {
    Checking,
    Unsupported,
    Denied,
    Off,
    On,
    Working,
    Failed,
}

impl PushState {
    fn code(self) -> &'static str {
        match self {
            PushState::Checking => "checking",
            PushState::Unsupported => "unsupported",
            PushState::Denied => "denied",
            PushState::Off => "off",
            PushState::On => "on",
            PushState::Working => "working",
            PushState::Failed => "failed",
        }
    }
}

/// The switch for this device. Without JavaScript nothing here can work, so the page
/// says so; with it the state is read from the browser after hydration.
#[island]
pub fn PushSwitch(labels: PushLabels) -> impl IntoView {
    let state = RwSignal::new(PushState::Checking);
    let l = StoredValue::new(labels);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            state.set(browser::current().await);
        });
    });
    let toggle = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let turn_on = state.get_untracked() != PushState::On;
            state.set(PushState::Working);
            leptos::task::spawn_local(async move {
                let next = if turn_on {
                    browser::subscribe().await
                } else {
                    browser::unsubscribe().await
                };
                state.set(next);
            });
        }
    };
    let message = move || {
        l.with_value(|l| match state.get() {
            PushState::Checking | PushState::Unsupported => l.unsupported.clone(),
            PushState::Denied => l.denied.clone(),
            PushState::Off => l.off.clone(),
            PushState::On => l.on.clone(),
            PushState::Working => l.working.clone(),
            PushState::Failed => l.failed.clone(),
        })
    };
    let shows_button = move || {
        matches!(
            state.get(),
            PushState::Off | PushState::On | PushState::Failed
        )
    };
    view! {
        <div class="push-switch" data-testid="push-switch" data-state=move || state.get().code()>
            <p role="status">{message}</p>
            <Show when=shows_button>
                <button type="button" class="button" on:click=toggle>
                    {move || l.with_value(|l| if state.get() == PushState::On { l.disable.clone() } else { l.enable.clone() })}
                </button>
            </Show>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    //! The browser's Push API, through the service worker registered by `PwaSupport`.
    use super::PushState;
    use crate::reminders::api::{
        forget_push_subscription, push_public_key, save_push_subscription,
    };
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Notification, NotificationPermission, PushManager, PushSubscription};

    fn supported() -> bool {
        let window = leptos::prelude::window();
        let has =
            |name: &str| js_sys::Reflect::has(&window, &JsValue::from_str(name)).unwrap_or(false);
        has("PushManager")
            && has("Notification")
            && js_sys::Reflect::has(&window.navigator(), &JsValue::from_str("serviceWorker"))
                .unwrap_or(false)
    }

    async fn manager() -> Option<PushManager> {
        let ready = leptos::prelude::window()
            .navigator()
            .service_worker()
            .ready()
            .ok()?;
        let registration: web_sys::ServiceWorkerRegistration =
            JsFuture::from(ready).await.ok()?.dyn_into().ok()?;
        registration.push_manager().ok()
    }

    async fn subscription(pm: &PushManager) -> Option<PushSubscription> {
        let found = JsFuture::from(pm.get_subscription().ok()?).await.ok()?;
        found.dyn_into().ok()
    }

    /// Tell the server about a subscription (again: it may have been forgotten there).
    async fn save(sub: &PushSubscription) -> bool {
        let Ok(json) = sub.to_json() else {
            return false;
        };
        let keys =
            js_sys::Reflect::get(&json, &JsValue::from_str("keys")).unwrap_or(JsValue::UNDEFINED);
        let key = |name: &str| {
            js_sys::Reflect::get(&keys, &JsValue::from_str(name))
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default()
        };
        let device = leptos::prelude::window()
            .navigator()
            .user_agent()
            .unwrap_or_default();
        save_push_subscription(sub.endpoint(), key("p256dh"), key("auth"), device)
            .await
            .is_ok()
    }

    pub async fn current() -> PushState {
        if !supported() {
            return PushState::Unsupported;
        }
        if Notification::permission() == NotificationPermission::Denied {
            return PushState::Denied;
        }
        let Some(pm) = manager().await else {
            return PushState::Unsupported;
        };
        match subscription(&pm).await {
            Some(sub) if Notification::permission() == NotificationPermission::Granted => {
                if save(&sub).await {
                    PushState::On
                } else {
                    PushState::Failed
                }
            }
            _ => PushState::Off,
        }
    }

    pub async fn subscribe() -> PushState {
        if !supported() {
            return PushState::Unsupported;
        }
        // Asked only now, after the tap.
        let asked = match Notification::request_permission() {
            Ok(p) => JsFuture::from(p).await.ok().and_then(|v| v.as_string()),
            Err(_) => None,
        };
        match asked.as_deref() {
            Some("granted") => {}
            Some("denied") => return PushState::Denied,
            _ => return PushState::Off,
        }
        let Ok(key) = push_public_key().await else {
            return PushState::Failed;
        };
        let Some(pm) = manager().await else {
            return PushState::Failed;
        };
        let options = web_sys::PushSubscriptionOptionsInit::new();
        options.set_user_visible_only(true);
        options.set_application_server_key(&JsValue::from_str(&key));
        let Ok(promise) = pm.subscribe_with_options(&options) else {
            return PushState::Failed;
        };
        let sub: Option<PushSubscription> = JsFuture::from(promise)
            .await
            .ok()
            .and_then(|s| s.dyn_into().ok());
        match sub {
            Some(sub) if save(&sub).await => PushState::On,
            _ => PushState::Failed,
        }
    }

    pub async fn unsubscribe() -> PushState {
        let Some(pm) = manager().await else {
            return PushState::Unsupported;
        };
        if let Some(sub) = subscription(&pm).await {
            let endpoint = sub.endpoint();
            if let Ok(p) = sub.unsubscribe() {
                let _ = JsFuture::from(p).await;
            }
            let _ = forget_push_subscription(endpoint).await;
        }
        PushState::Off
    }
}

/// The push section of the account page.
#[component]
pub fn PushSection() -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let labels = PushLabels {
        unsupported: td_string!(l, push.unsupported).to_string(),
        off: td_string!(l, push.off).to_string(),
        on: td_string!(l, push.on).to_string(),
        denied: td_string!(l, push.denied).to_string(),
        working: td_string!(l, push.working).to_string(),
        failed: td_string!(l, push.failed).to_string(),
        enable: td_string!(l, push.enable).to_string(),
        disable: td_string!(l, push.disable).to_string(),
    };
    let devices = Resource::new(|| (), |_| push_device_count());
    view! {
        <section class="card stack" data-testid="push">
            <h2>{t!(i18n, push.title)}</h2>
            <p class="hint">{t!(i18n, push.intro)}</p>
            <SuccessNotice flag="push_test">{move || t!(i18n, push.test_sent)}</SuccessNotice>
            <PushSwitch labels />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match devices.await {
                        Ok(n) if n > 0 => view! {
                            <p class="hint" data-testid="push-devices">{td_string!(l, push.devices, count = n).to_string()}</p>
                            <form method="post" action=SendTestPush::PATH>
                                <button type="submit" class="button secondary">{t!(i18n, push.test)}</button>
                            </form>
                        }.into_any(),
                        _ => ().into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
