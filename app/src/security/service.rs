//! Writing and reading the security log. Server only.

use super::{DETAIL_MAX, PAGE_SIZE, RETENTION_DAYS, SecurityEvent, SecurityKind, cut};
use crate::AppError;
use crate::db::Db;
use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

/// An entry to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSecurityEvent {
    pub kind: SecurityKind,
    pub username: Option<String>,
    pub role: Option<String>,
    pub ip: Option<String>,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub detail: String,
}

/// Append one entry. The database stamps nothing: `now` is the server's clock.
pub async fn record(db: &Db, e: NewSecurityEvent, now: DateTime<Utc>) -> Result<(), AppError> {
    db.query(
        "CREATE security_event SET at = $at, kind = $kind, username = $username, role = $role,
            ip = $ip, method = $method, path = $path, status = $status, detail = $detail",
    )
    .bind(("at", now))
    .bind(("kind", e.kind.as_str()))
    .bind(("username", e.username.map(|u| cut(&u, 64))))
    .bind(("role", e.role))
    .bind(("ip", e.ip))
    .bind(("method", cut(&e.method, 10)))
    .bind(("path", cut(&e.path, 200)))
    .bind(("status", i64::from(e.status)))
    .bind(("detail", cut(&e.detail, DETAIL_MAX)))
    .await?
    .check()?;
    Ok(())
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Row {
    at: DateTime<Utc>,
    kind: String,
    username: Option<String>,
    ip: Option<String>,
    method: String,
    path: String,
    status: i64,
    detail: String,
}

/// The newest entries first, of one kind or all, one page (`page` from 0).
pub async fn list(
    db: &Db,
    kind: Option<SecurityKind>,
    page: usize,
) -> Result<Vec<SecurityEvent>, AppError> {
    let rows: Vec<Row> = db
        .query(
            "SELECT at, kind, username, ip, method, path, status, detail FROM security_event
             WHERE $kind = NONE OR kind = $kind
             ORDER BY at DESC LIMIT $limit START $start",
        )
        .bind(("kind", kind.map(SecurityKind::as_str)))
        .bind(("limit", PAGE_SIZE as i64))
        .bind(("start", (page * PAGE_SIZE) as i64))
        .await?
        .check()?
        .take(0)?;
    let china = crate::ledger::calendar::shanghai();
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(SecurityEvent {
                at: r
                    .at
                    .with_timezone(&china)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
                kind: SecurityKind::parse(&r.kind)?,
                username: r.username,
                ip: r.ip,
                method: r.method,
                path: r.path,
                status: u16::try_from(r.status).unwrap_or(0),
                detail: r.detail,
            })
        })
        .collect())
}

/// Delete the entries older than the retention (the database refuses younger ones).
/// Returns how many went.
pub async fn purge_expired(db: &Db, now: DateTime<Utc>) -> Result<usize, AppError> {
    let cutoff = now - chrono::Duration::days(RETENTION_DAYS);
    let gone: Vec<surrealdb::types::RecordId> = db
        .query("DELETE security_event WHERE at < $cutoff RETURN BEFORE.id")
        .bind(("cutoff", cutoff))
        .await?
        .check()?
        .take(0)?;
    Ok(gone.len())
}
