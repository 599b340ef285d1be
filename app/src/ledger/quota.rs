//! Each person's daily quota of stored evidence (server only): the bytes of a
//! submission are counted against the day before its files are moved into place, in one
//! statement, so parallel uploads cannot together pass the limit.

use super::calendar::{format_date, today};
use super::evidence::DAILY_FILE_BYTES;
use crate::AppError;
use crate::db::{Db, record};
use chrono::{DateTime, Utc};

/// Count `bytes` against `user_id`'s quota of the day. `Ok(false)`, and nothing counted,
/// when they would take the day past [`DAILY_FILE_BYTES`].
pub async fn take(
    db: &Db,
    user_id: &str,
    bytes: usize,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    if bytes == 0 {
        return Ok(true);
    }
    let day = format_date(today(now));
    let mut last_error = None;
    for _ in 0..8 {
        let answer = db
            .query(
                "BEGIN TRANSACTION;
                 LET $used = (UPSERT type::record('file_use', $key)
                     SET user = $user, day = $day, bytes = (bytes ?? 0) + $bytes
                     RETURN VALUE bytes)[0];
                 IF $used > $limit { THROW 'quota' };
                 COMMIT TRANSACTION;",
            )
            .bind(("key", format!("{user_id}-{day}")))
            .bind(("user", record("user", user_id)))
            .bind(("day", day.clone()))
            .bind(("bytes", bytes as i64))
            .bind(("limit", DAILY_FILE_BYTES as i64))
            .await;
        let mut response = match answer {
            Ok(r) => r,
            Err(e) => return Err(e.into()),
        };
        let Some(text) = crate::db::errors_of(&mut response) else {
            return Ok(true);
        };
        if text.contains("quota") {
            return Ok(false);
        }
        if crate::db::is_write_conflict(&text) {
            last_error = Some(text);
            continue;
        }
        return Err(AppError::internal(format!("file quota: {text}")));
    }
    Err(AppError::internal(format!(
        "file quota: {}",
        last_error.unwrap_or_default()
    )))
}

/// The error for a submission over the quota, in megabytes as the user reads them.
pub fn used_up() -> crate::error::Problem {
    crate::error::Problem::QuotaUsed {
        max_mb: (DAILY_FILE_BYTES / (1024 * 1024)) as u32,
    }
}
