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
