//! Server functions of the inbox (待办与提醒).

use crate::AppError;
use leptos::prelude::*;

pub use super::InboxEntry;

#[server(endpoint = "inbox_entries")]
pub async fn inbox_entries() -> Result<Vec<InboxEntry>, AppError> {
    let user = crate::auth::require_user()?;
    super::service::inbox(&crate::web::db()?, &user).await
}

#[server(endpoint = "inbox_unread")]
pub async fn inbox_unread() -> Result<i64, AppError> {
    let user = crate::auth::require_user()?;
    super::service::unread_count(&crate::web::db()?, &user).await
}

#[server(endpoint = "mark_reminder_read")]
pub async fn mark_reminder_read(id: String) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        super::service::mark_read(&crate::web::db()?, &user, &id, chrono::Utc::now()).await
    }
    .await;
    crate::web::finish_form(result, "/inbox", &[], "/inbox", &[])
}

pub use super::LadderRung;

#[server(endpoint = "reminder_ladder")]
pub async fn reminder_ladder() -> Result<Vec<LadderRung>, AppError> {
    crate::auth::require_role(&[crate::auth::Role::Administrator])?;
    super::service::ladder(&crate::web::db()?).await
}

/// One rung of the ladder as its form sends it (`rung[...]`, a checkbox per recipient).
#[server(endpoint = "update_reminder_rung")]
pub async fn update_reminder_rung(rung: super::RungForm) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        super::service::update_rung(
            &crate::web::db()?,
            &user,
            &rung.code,
            &rung.offset_days,
            &rung.repeat_days,
            &rung.recipients(),
            !rung.enabled.is_empty(),
        )
        .await
    }
    .await;
    crate::web::finish_form(
        result,
        "/admin/reminders",
        &[("saved", "1".into())],
        "/admin/reminders",
        &[],
    )
}

// ---- Web Push on this device -------------------------------------------------------

/// The application server key a device subscribes with (VAPID public key, base64url).
#[server(endpoint = "push_public_key")]
pub async fn push_public_key() -> Result<String, AppError> {
    crate::auth::require_user()?;
    Ok(super::dispatch::vapid_keys(&crate::web::db()?)
        .await?
        .public_b64())
}

/// Store this device's subscription for the caller (called by the settings island).
#[server(endpoint = "save_push_subscription")]
pub async fn save_push_subscription(
    endpoint: String,
    p256dh: String,
    auth: String,
    device: String,
) -> Result<(), AppError> {
    let user = crate::auth::require_user()?;
    super::dispatch::save_subscription(
        &crate::web::db()?,
        &user,
        &crate::web::settings().push_services,
        &endpoint,
        &p256dh,
        &auth,
        &device,
        chrono::Utc::now(),
    )
    .await
    .map_err(crate::web::refuse)
}

/// Forget this device's subscription (the caller's own only).
#[server(endpoint = "forget_push_subscription")]
pub async fn forget_push_subscription(endpoint: String) -> Result<(), AppError> {
    let user = crate::auth::require_user()?;
    super::dispatch::forget_subscription(&crate::web::db()?, &user, &endpoint).await
}

/// How many of the caller's devices receive pushes.
#[server(endpoint = "push_device_count")]
pub async fn push_device_count() -> Result<i64, AppError> {
    let user = crate::auth::require_user()?;
    super::dispatch::device_count(&crate::web::db()?, &user).await
}

/// Queue a test push to each of the caller's devices.
#[server(endpoint = "send_test_push")]
pub async fn send_test_push() -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        super::dispatch::queue_test_push(&crate::web::db()?, &user, chrono::Utc::now())
            .await
            .map(|_| ())
    }
    .await;
    crate::web::finish_form(result, "/me", &[("push_test", "1".into())], "/me", &[])
}

// ---- Channels, quiet hours (administrator) ------------------------------------------

pub use super::{ChannelEntry, DeliveryEntry, ReminderSettings};

/// Everything the channels page shows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChannelsOverview {
    pub channels: Vec<ChannelEntry>,
    pub recent: Vec<DeliveryEntry>,
    pub settings: ReminderSettings,
    /// Districts and units a channel may serve: (`district:<key>` or `unit:<key>`, name).
    pub scopes: Vec<(String, String)>,
}

#[server(endpoint = "channels_view")]
pub async fn channels_view() -> Result<ChannelsOverview, AppError> {
    let user = crate::auth::require_user()?;
    let db = crate::web::db()?;
    let channels = super::dispatch::channels(&db, &user).await?;
    let mut scopes: Vec<(String, String)> = Vec::new();
    for d in crate::org::service::list_districts(&db).await? {
        scopes.push((format!("district:{}", d.id), d.name));
    }
    for u in crate::org::service::list_units(&db, None).await? {
        scopes.push((
            format!("unit:{}", u.id),
            format!("{} · {}", u.district_name, u.name),
        ));
    }
    Ok(ChannelsOverview {
        channels,
        recent: super::dispatch::recent_deliveries(&db, &user).await?,
        settings: super::dispatch::reminder_settings(&db).await?,
        scopes,
    })
}

#[server(endpoint = "add_channel")]
pub async fn add_channel(channel: super::ChannelForm) -> Result<(), AppError> {
    let keep = vec![
        ("kind", channel.kind.clone()),
        ("name", channel.name.clone()),
        ("scope", channel.scope.clone()),
    ];
    let result = async {
        let user = crate::auth::require_user()?;
        super::dispatch::add_channel(&crate::web::db()?, &user, &channel, chrono::Utc::now())
            .await
            .map(|_| ())
    }
    .await;
    crate::web::finish_form(
        result,
        "/admin/channels",
        &[("added", "1".into())],
        "/admin/channels",
        &keep,
    )
}

#[server(endpoint = "remove_channel")]
pub async fn remove_channel(id: String) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        super::dispatch::remove_channel(&crate::web::db()?, &user, &id).await
    }
    .await;
    crate::web::finish_form(
        result,
        "/admin/channels",
        &[("removed", "1".into())],
        "/admin/channels",
        &[],
    )
}

#[server(endpoint = "test_channel")]
pub async fn test_channel(id: String) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        super::dispatch::queue_channel_test(&crate::web::db()?, &user, &id, chrono::Utc::now())
            .await
    }
    .await;
    crate::web::finish_form(
        result,
        "/admin/channels",
        &[("tested", "1".into())],
        "/admin/channels",
        &[],
    )
}

#[server(endpoint = "save_reminder_settings")]
pub async fn save_reminder_settings(
    quiet_from: String,
    quiet_until: String,
    summary_time: String,
) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        super::dispatch::save_reminder_settings(
            &crate::web::db()?,
            &user,
            &quiet_from,
            &quiet_until,
            &summary_time,
        )
        .await
    }
    .await;
    crate::web::finish_form(
        result,
        "/admin/channels",
        &[("saved", "1".into())],
        "/admin/channels",
        &[],
    )
}
