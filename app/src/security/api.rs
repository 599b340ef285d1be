//! The administrator reads the security log.

use super::SecurityEvent;
use crate::AppError;
use leptos::prelude::*;

/// One page of the log, newest first, optionally of one kind. Administrators only.
#[server(endpoint = "security_log")]
pub async fn security_log(kind: String, page: usize) -> Result<Vec<SecurityEvent>, AppError> {
    crate::auth::require_role(&[crate::auth::Role::Administrator])?;
    let kind = match kind.trim() {
        "" => None,
        k => Some(super::SecurityKind::parse(k).ok_or(AppError::BadRequest)?),
    };
    super::service::list(&crate::web::db()?, kind, page.min(10_000)).await
}
