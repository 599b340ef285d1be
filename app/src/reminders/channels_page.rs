//! The administrator's reminder channels: group robots and SMS gateways per city,
//! district or unit; quiet hours and the weekly summary's time; the recent deliveries.

use super::DeliveryEntry;
use super::api::{AddChannel, RemoveChannel, SaveReminderSettings, TestChannel, channels_view};
use crate::AppError;
use crate::auth::{Role, current_user};
use crate::i18n::*;
use crate::ui::errors::PageError;
use crate::ui::frame::AppFrame;
use crate::ui::notice::{ErrorNotice, SuccessNotice, query_value};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// A channel kind's name in the user's language.
pub fn kind_label(l: Locale, kind: &str) -> String {
    match kind {
        "push" => td_string!(l, delivery.push),
        "wecom" => td_string!(l, delivery.wecom),
        "dingtalk" => td_string!(l, delivery.dingtalk),
        "sms" => td_string!(l, delivery.sms),
        other => return other.to_string(),
    }
    .to_string()
}

/// A delivery's state in the user's language.
pub fn state_label(l: Locale, state: &str) -> String {
    match state {
        "sent" => td_string!(l, delivery.sent),
        "pending" => td_string!(l, delivery.pending),
        "failed" => td_string!(l, delivery.failed),
        "gone" => td_string!(l, delivery.gone),
        other => return other.to_string(),
    }
    .to_string()
}

/// One line of a delivery log: channel, target, state, attempts, the last detail.
#[component]
pub fn DeliveryLine(entry: DeliveryEntry) -> impl IntoView {
    let i18n = use_i18n();
    let l = i18n.get_locale_untracked();
    let retrying = entry.state == "pending" && entry.attempts > 0;
    view! {
        <li data-kind=entry.kind.clone() data-state=entry.state.clone()>
            <strong>{kind_label(l, &entry.kind)}</strong> " · " {entry.target.clone()}
            " · " <span class=format!("delivery-{}", entry.state)>{state_label(l, &entry.state)}</span>
            {retrying.then(|| view! { " (" {t!(i18n, delivery.retrying)} ")" })}
            {(entry.attempts > 0).then(|| view! { <span class="hint">" · " {td_string!(l, delivery.attempts, count = entry.attempts).to_string()}</span> })}
            <span class="hint mono">" · " {entry.at.clone()}</span>
            {(!entry.detail.is_empty()).then(|| view! { <br /><span class="hint mono">{entry.detail.clone()}</span> })}
        </li>
    }
}

#[component]
pub fn ChannelsPage() -> impl IntoView {
    let Some(user) = current_user() else {
        return view! { <PageError error=AppError::NotSignedIn /> }.into_any();
    };
    if user.role != Role::Administrator {
        return view! { <PageError error=AppError::Forbidden /> }.into_any();
    }
    let i18n = use_i18n();
    let data = Resource::new(|| (), |_| channels_view());
    let kept_kind = query_value("kind");
    let kept_name = query_value("name");
    view! {
        <AppFrame user>
            <h1>{t!(i18n, channel_admin.title)}</h1>
            <SuccessNotice flag="added">{move || t!(i18n, channel_admin.added)}</SuccessNotice>
            <SuccessNotice flag="removed">{move || t!(i18n, channel_admin.removed)}</SuccessNotice>
            <SuccessNotice flag="tested">{move || t!(i18n, channel_admin.test_sent)}</SuccessNotice>
            <SuccessNotice flag="saved">{move || t!(i18n, channel_admin.saved)}</SuccessNotice>
            <ErrorNotice />
            <p class="hint">{t!(i18n, channel_admin.intro)}</p>
            <Suspense fallback=|| ()>
                {move || {
                    let kept_kind = kept_kind.clone();
                    let kept_name = kept_name.clone();
                    Suspend::new(async move {
                    let l = i18n.get_locale_untracked();
                    match data.await {
                        Ok(v) => view! {
                            <form method="post" action=SaveReminderSettings::PATH class="card stack" data-testid="quiet-hours">
                                <h2>{t!(i18n, channel_admin.quiet)}</h2>
                                <div class="pair">
                                    <label><span>{t!(i18n, channel_admin.quiet_from)}</span><input name="quiet_from" type="time" required value=v.settings.quiet_from.clone() /></label>
                                    <label><span>{t!(i18n, channel_admin.quiet_until)}</span><input name="quiet_until" type="time" required value=v.settings.quiet_until.clone() /></label>
                                </div>
                                <label><span>{t!(i18n, channel_admin.summary_time)}</span><input name="summary_time" type="time" required value=v.settings.summary_time.clone() /></label>
                                <button type="submit" class="button">{t!(i18n, channel_admin.save)}</button>
                            </form>
                            {if v.channels.is_empty() {
                                view! { <p class="hint card">{t!(i18n, channel_admin.none)}</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="item-list" data-testid="channels">
                                        {v.channels.into_iter().map(|c| view! {
                                            <li class="item-card" data-kind=c.kind.clone() data-name=c.name.clone()>
                                                <p class="item-top"><strong>{c.name.clone()}</strong> <span class="hint">{kind_label(l, &c.kind)}</span></p>
                                                <p class="hint mono">{c.url_shown.clone()} {c.signed.then_some(" 🔏")}</p>
                                                <p class="hint">{if c.scope_name.is_empty() { t_string!(i18n, channel_admin.scope_city).to_string() } else { c.scope_name.clone() }}</p>
                                                <div class="actions-row">
                                                    <form method="post" action=TestChannel::PATH class="inline-form">
                                                        <input type="hidden" name="id" value=c.id.clone() />
                                                        <button type="submit" class="link-button">{t!(i18n, channel_admin.test)}</button>
                                                    </form>
                                                    <form method="post" action=RemoveChannel::PATH class="inline-form">
                                                        <input type="hidden" name="id" value=c.id.clone() />
                                                        <button type="submit" class="link-button danger">{t!(i18n, channel_admin.remove)}</button>
                                                    </form>
                                                </div>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                            <form method="post" action=AddChannel::PATH class="card stack" data-testid="add-channel">
                                <h2>{t!(i18n, channel_admin.add)}</h2>
                                <label><span>{t!(i18n, channel_admin.kind)}</span>
                                    <select name="channel[kind]" required>
                                        {["wecom", "dingtalk", "sms"].into_iter().map(|k| {
                                            let label = match k {
                                                "wecom" => t_string!(i18n, channel_admin.kind_wecom).to_string(),
                                                "dingtalk" => t_string!(i18n, channel_admin.kind_dingtalk).to_string(),
                                                _ => t_string!(i18n, channel_admin.kind_sms).to_string(),
                                            };
                                            view! { <option value=k selected=kept_kind == k>{label}</option> }
                                        }).collect_view()}
                                    </select>
                                </label>
                                <label><span>{t!(i18n, channel_admin.name)}</span><input name="channel[name]" required maxlength="40" value=kept_name.clone() /></label>
                                <label><span>{t!(i18n, channel_admin.url)}</span><input name="channel[url]" type="url" required inputmode="url" autocomplete="off" /></label>
                                <label><span>{t!(i18n, channel_admin.secret)}</span><input name="channel[secret]" autocomplete="off" /></label>
                                <label><span>{t!(i18n, channel_admin.template)}</span><textarea name="channel[template]" rows="2" placeholder=super::SMS_TEMPLATE_EXAMPLE></textarea></label>
                                <label><span>{t!(i18n, channel_admin.scope)}</span>
                                    <select name="channel[scope]">
                                        <option value="">{t!(i18n, channel_admin.scope_city)}</option>
                                        {v.scopes.into_iter().map(|(value, name)| view! { <option value=value>{name}</option> }).collect_view()}
                                    </select>
                                </label>
                                <button type="submit" class="button">{t!(i18n, channel_admin.add)}</button>
                            </form>
                            <section class="card">
                                <h2>{t!(i18n, channel_admin.recent)}</h2>
                                <ul class="plain-list" data-testid="deliveries">
                                    {v.recent.into_iter().map(|entry| view! { <DeliveryLine entry /> }).collect_view()}
                                </ul>
                            </section>
                        }.into_any(),
                        Err(e) => view! { <PageError error=e /> }.into_any(),
                    }
                })}}
            </Suspense>
        </AppFrame>
    }
    .into_any()
}
