//! The append-only, hash-chained history: every change to the ledger is written in the
//! same transaction as one event that links to the event before.

use crate::AppError;
use crate::auth::SessionUser;
use crate::db::{Db, key_of};
use crate::ledger::chain::{Break, ChainCursor, EventContent, GENESIS, event_hash};
use chrono::{DateTime, SecondsFormat, Utc};
use surrealdb::types::{RecordId, SurrealValue, Value};

/// What an event records about a change.
pub(crate) struct Change {
    pub item: RecordId,
    pub action: &'static str,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Head {
    seq: i64,
    hash: String,
}

/// Attempts before giving up when other writers keep appending first.
const APPEND_ATTEMPTS: usize = 20;

/// Run `statements` (SurrealQL using `binds`) and append the event for `change`, all in
/// one transaction. The statements may `THROW 'stale'` when the item moved on since it
/// was read; the caller then gets [`AppError::WrongState`] and nothing is written.
pub(crate) async fn commit(
    db: &Db,
    user: &SessionUser,
    now: DateTime<Utc>,
    change: Change,
    statements: &str,
    binds: Vec<(&'static str, Value)>,
) -> Result<(), AppError> {
    commit_many(db, user, now, &[change], statements, binds).await
}

/// An event as [`commit_many`] writes it.
#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct NewEvent {
    seq: i64,
    item: RecordId,
    actor: String,
    actor_name: String,
    at: String,
    action: String,
    before: String,
    after: String,
    prev_hash: String,
    hash: String,
}

/// Run `statements` and append one event per change, all in one transaction: all of it
/// is written or none (one step, or a whole import). The events follow each other in the
/// chain. `THROW 'stale'` in the statements becomes [`AppError::WrongState`].
pub(crate) async fn commit_many(
    db: &Db,
    user: &SessionUser,
    now: DateTime<Utc>,
    changes: &[Change],
    statements: &str,
    binds: Vec<(&'static str, Value)>,
) -> Result<(), AppError> {
    let at = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let sql = format!(
        "BEGIN TRANSACTION;
         {statements};
         FOR $e IN $ev_events {{ CREATE event CONTENT $e; }};
         UPSERT chain_head:tip SET seq = $ev_seq, hash = $ev_hash;
         COMMIT TRANSACTION;"
    );
    for _ in 0..APPEND_ATTEMPTS {
        let head: Option<Head> = db
            .query("SELECT seq, hash FROM ONLY chain_head:tip")
            .await?
            .check()?
            .take(0)?;
        let (mut seq, mut prev_hash) = head.map_or((0, GENESIS.to_string()), |h| (h.seq, h.hash));
        let mut events = Vec::with_capacity(changes.len());
        for change in changes {
            seq += 1;
            let before = change.before.to_string();
            let after = change.after.to_string();
            let hash = event_hash(&EventContent {
                seq,
                item: &key_of(&change.item),
                actor: &user.id,
                at: &at,
                action: change.action,
                before: &before,
                after: &after,
                prev_hash: &prev_hash,
            });
            events.push(NewEvent {
                seq,
                item: change.item.clone(),
                actor: user.id.clone(),
                actor_name: user.display_name.clone(),
                at: at.clone(),
                action: change.action.to_string(),
                before,
                after,
                prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
                hash,
            });
        }
        let mut query = db.query(sql.as_str());
        for (k, v) in &binds {
            query = query.bind((*k, v.clone()));
        }
        let mut response = query
            .bind(("ev_events", events))
            .bind(("ev_seq", seq))
            .bind(("ev_hash", prev_hash.clone()))
            .await?;
        let Some(text) = crate::db::errors_of(&mut response) else {
            return Ok(());
        };
        if text.contains("stale") {
            return Err(AppError::WrongState);
        }
        if text.contains("event_seq") || text.contains("conflict") || text.contains("retry") {
            // Another writer appended first: read the new head and try again.
            continue;
        }
        return Err(AppError::internal(format!("ledger write: {text}")));
    }
    Err(AppError::internal(
        "ledger write: too many concurrent appends",
    ))
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct EventRow {
    seq: i64,
    item: RecordId,
    actor: String,
    at: String,
    action: String,
    before: String,
    after: String,
    prev_hash: String,
    hash: String,
}

/// The outcome of checking the whole chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    pub events: i64,
    pub first_break: Option<Break>,
}

/// Recompute every link of the chain, in sequence order, and report the first break.
pub async fn verify_ledger(db: &Db) -> Result<ChainReport, AppError> {
    const PAGE: i64 = 5000;
    let mut cursor = ChainCursor::default();
    let mut events = 0;
    loop {
        let rows: Vec<EventRow> = db
            .query(
                "SELECT seq, item, actor, at, action, before, after, prev_hash, hash FROM event
                 WHERE seq > $after ORDER BY seq LIMIT $page",
            )
            .bind(("after", cursor.last_seq()))
            .bind(("page", PAGE))
            .await?
            .check()?
            .take(0)?;
        if rows.is_empty() {
            // Events cut off the end leave the head pointing past the last one.
            let head: Option<Head> = db
                .query("SELECT seq, hash FROM ONLY chain_head:tip")
                .await?
                .check()?
                .take(0)?;
            let first_break = match head {
                Some(h) if h.seq != cursor.last_seq() => Some(Break::Missing {
                    after_seq: cursor.last_seq(),
                }),
                _ => None,
            };
            return Ok(ChainReport {
                events,
                first_break,
            });
        }
        for r in &rows {
            let item = key_of(&r.item);
            let content = EventContent {
                seq: r.seq,
                item: &item,
                actor: &r.actor,
                at: &r.at,
                action: &r.action,
                before: &r.before,
                after: &r.after,
                prev_hash: &r.prev_hash,
            };
            if let Err(b) = cursor.check(&content, &r.hash) {
                return Ok(ChainReport {
                    events,
                    first_break: Some(b),
                });
            }
            events += 1;
        }
    }
}
