//! The reminder scheduler (server only). Each tick plans the reminders that have fallen
//! due (idempotently: a reminder's record id is the hash of its key) and then delivers
//! the due ones to the inbox under a lease, so that several server instances never
//! deliver the same reminder twice and a crash loses none: an expired lease is taken
//! over by the next tick, of any instance.

use super::ladder::{Anchor, Recipient, Rule, default_ladder, due_occurrences};
use crate::AppError;
use crate::auth::SessionUser;
use crate::db::{Db, key_of, record};
use crate::ledger::calendar::{format_date, parse_date, today};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use surrealdb::types::{RecordId, SurrealValue};

/// A write conflict with another instance (SurrealDB's optimistic transactions) becomes
/// `WrongState`, which the scheduler retries; anything else is an internal error.
fn db_err(e: surrealdb::Error) -> AppError {
    let text = e.to_string();
    if text.contains("Transaction conflict") || text.contains("retry the transaction") {
        AppError::WrongState
    } else {
        AppError::from(e)
    }
}

/// How long a claim holds before another instance may take the reminder over.
pub const LEASE_SECONDS: i64 = 120;
/// Occurrences older than this many days are not planned any more (after a long outage
/// nobody wants a month of stale reminders at once).
pub const CATCH_UP_DAYS: i64 = 3;

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct OpenItem {
    id: RecordId,
    unit: RecordId,
    district: RecordId,
    approved_deadline: String,
    registered_at: DateTime<Utc>,
    measures: Vec<MeasureDue>,
    status: String,
    closure_requested_at: Option<DateTime<Utc>>,
    /// Co-signers of the current closure request that have not passed yet.
    pending_co_signers: Vec<String>,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct MeasureDue {
    due: String,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Person {
    id: RecordId,
    role: String,
    scope_unit: Option<RecordId>,
    scope_district: Option<RecordId>,
    scope_partner: Option<String>,
}

/// The users a recipient kind means for an item.
fn recipients(people: &[Person], kind: Recipient, item: &OpenItem) -> Vec<RecordId> {
    people
        .iter()
        .filter(|p| match kind {
            Recipient::UnitHead => {
                p.role == "unit_head" && p.scope_unit.as_ref() == Some(&item.unit)
            }
            Recipient::UnitHandler | Recipient::MeasureOwner => {
                // Measure owners are named people, not always users: the unit's contact
                // passes it on.
                p.role == "unit_handler" && p.scope_unit.as_ref() == Some(&item.unit)
            }
            Recipient::DistrictOffice => {
                p.role == "district_office" && p.scope_district.as_ref() == Some(&item.district)
            }
            Recipient::CentralOffice => p.role == "central_office",
            Recipient::CoSigners => {
                let dept = match p.role.as_str() {
                    "central_office" => Some("central"),
                    "partner" => p.scope_partner.as_deref(),
                    _ => None,
                };
                dept.is_some_and(|d| item.pending_co_signers.iter().any(|c| c == d))
            }
        })
        .map(|p| p.id.clone())
        .collect()
}

/// The identity of a reminder: item, rule, the anchor date it counts from (a moved
/// deadline or a new closure request plans its own reminders), recipient, occurrence.
fn reminder_key(
    item: &RecordId,
    rule: &str,
    anchor: NaiveDate,
    recipient: &RecordId,
    occurrence: u32,
) -> String {
    use sha2::{Digest, Sha256};
    let key = format!(
        "{}|{rule}|{anchor}|{}|{occurrence}",
        key_of(item),
        key_of(recipient)
    );
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The reminders of one rule occurrence, ready to insert.
#[derive(Serialize)]
struct NewReminder {
    id: String,
    item: String,
    rule: String,
    occurrence: u32,
    recipient: String,
    day: String,
}

/// Plan every reminder that has fallen due by `now` for open items, and cancel pending
/// reminders of items that are no longer open. Returns how many were new.
pub async fn plan(db: &Db, rules: &[Rule], now: DateTime<Utc>) -> Result<usize, AppError> {
    let today = today(now);
    db.query(
        "UPDATE reminder SET state = 'cancelled'
            WHERE state = 'pending' AND item.status IN ['closed', 'withdrawn']",
    )
    .await
    .map_err(db_err)?
    .check()
    .map_err(db_err)?;
    let items: Vec<OpenItem> = db
        .query(
            "SELECT id, unit, district, approved_deadline, registered_at, status, closure_requested_at,
                (SELECT due FROM measure WHERE item = $parent.id AND done_on = NONE) AS measures,
                array::complement(co_signers, (SELECT VALUE co_signer FROM acceptance
                    WHERE item = $parent.id AND round = $parent.acceptance_round AND passed = true))
                    AS pending_co_signers
             FROM item WHERE status NOT IN ['registered', 'closed', 'withdrawn']",
        )
        .await.map_err(db_err)?
        .check().map_err(db_err)?
        .take(0).map_err(db_err)?;
    let people: Vec<Person> = db
        .query("SELECT id, role, scope_unit, scope_district, scope_partner FROM user WHERE role IN ['unit_head', 'unit_handler', 'district_office', 'central_office', 'partner']")
        .await.map_err(db_err)?
        .check().map_err(db_err)?
        .take(0).map_err(db_err)?;
    let mut rows = Vec::new();
    let since_floor = today - Duration::days(CATCH_UP_DAYS);
    for item in &items {
        let registered = crate::ledger::calendar::today(item.registered_at);
        let since = registered.max(since_floor);
        for rule in rules {
            let anchors: Vec<NaiveDate> = match rule.anchor {
                Anchor::Deadline => parse_date(&item.approved_deadline).into_iter().collect(),
                Anchor::MeasureDue => item
                    .measures
                    .iter()
                    .filter_map(|m| parse_date(&m.due))
                    .collect(),
                Anchor::ClosureRequested => match (item.status.as_str(), item.closure_requested_at)
                {
                    ("closure_requested", Some(at)) => vec![crate::ledger::calendar::today(at)],
                    _ => Vec::new(),
                },
            };
            for anchor in &anchors {
                for (occurrence, day) in due_occurrences(rule, *anchor, since, today) {
                    for kind in &rule.recipients {
                        for user in recipients(&people, *kind, item) {
                            rows.push(NewReminder {
                                id: reminder_key(&item.id, &rule.code, *anchor, &user, occurrence),
                                item: key_of(&item.id),
                                rule: rule.code.clone(),
                                occurrence,
                                recipient: key_of(&user),
                                day: format_date(day),
                            });
                        }
                    }
                }
            }
        }
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let rows = serde_json::to_value(&rows).map_err(AppError::internal)?;
    let created: Vec<RecordId> = db
        .query(
            "FOR $r IN $rows {
                INSERT IGNORE INTO reminder {
                    id: type::record('reminder', $r.id),
                    item: type::record('item', $r.item), rule: $r.rule,
                    occurrence: $r.occurrence, recipient: type::record('user', $r.recipient),
                    day: $r.day, due_at: $now, state: 'pending', created_at: $now
                };
             };
             SELECT VALUE id FROM reminder WHERE created_at = $now AND id IN $ids;",
        )
        .bind(("rows", rows.clone()))
        .bind((
            "ids",
            rows.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|r| r["id"].as_str().map(|k| record("reminder", k)))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        ))
        .bind(("now", now))
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?
        .take(1)
        .map_err(db_err)?;
    Ok(created.len())
}

/// Claim due pending reminders for `worker` until the lease ends. Rows claimed by
/// another worker whose lease has not ended are left alone.
pub async fn claim(db: &Db, worker: &str, now: DateTime<Utc>) -> Result<Vec<RecordId>, AppError> {
    let claimed: Vec<RecordId> = db
        .query(
            // One statement, so one transaction: two instances cannot both claim a row.
            "UPDATE reminder SET lease_owner = $worker, lease_until = $until
                WHERE state = 'pending' AND due_at <= $now
                    AND (lease_until = NONE OR lease_until < $now)
                RETURN VALUE id",
        )
        .bind(("worker", worker.to_string()))
        .bind(("until", now + Duration::seconds(LEASE_SECONDS)))
        .bind(("now", now))
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?
        .take(0)
        .map_err(db_err)?;
    Ok(claimed)
}

/// One person's reminders of one run: what a channel sends as a single digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    pub recipient: String,
    pub reminders: Vec<String>,
}

/// Deliver what `worker` claimed: into the inbox (state `sent`), once. A row whose lease
/// was taken over meanwhile is not delivered by this worker.
pub async fn deliver(
    db: &Db,
    worker: &str,
    claimed: &[RecordId],
    now: DateTime<Utc>,
) -> Result<Vec<Digest>, AppError> {
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Sent {
        id: RecordId,
        recipient: RecordId,
    }
    let sent: Vec<Sent> = db
        .query(
            "UPDATE reminder SET state = 'sent', sent_at = $now, lease_owner = NONE, lease_until = NONE
                WHERE id IN $ids AND state = 'pending' AND lease_owner = $worker
                RETURN id, recipient",
        )
        .bind(("ids", claimed.to_vec()))
        .bind(("worker", worker.to_string()))
        .bind(("now", now))
        .await.map_err(db_err)?
        .check().map_err(db_err)?
        .take(0).map_err(db_err)?;
    let mut by_person: HashMap<String, Vec<String>> = HashMap::new();
    for s in sent {
        by_person
            .entry(key_of(&s.recipient))
            .or_default()
            .push(key_of(&s.id));
    }
    let mut digests: Vec<Digest> = by_person
        .into_iter()
        .map(|(recipient, reminders)| Digest {
            recipient,
            reminders,
        })
        .collect();
    digests.sort_by(|a, b| a.recipient.cmp(&b.recipient));
    Ok(digests)
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct RuleRow {
    code: String,
    anchor: String,
    offset_days: i64,
    repeat_days: Option<i64>,
    recipients: Vec<String>,
    enabled: bool,
}

/// The whole ladder, enabled or not, in order; the defaults are stored on first use.
pub async fn ladder(db: &Db) -> Result<Vec<LadderRung>, AppError> {
    let rows: Vec<RuleRow> = db
        .query("SELECT code, anchor, offset_days, repeat_days, recipients, enabled, sort FROM reminder_rule ORDER BY sort")
        .await.map_err(db_err)?
        .check().map_err(db_err)?
        .take(0).map_err(db_err)?;
    if rows.is_empty() {
        let defaults: Vec<serde_json::Value> = default_ladder()
            .iter()
            .enumerate()
            .map(|(i, r)| {
                serde_json::json!({
                    "code": r.code, "anchor": r.anchor.as_str(), "offset_days": r.offset_days,
                    "repeat_days": r.repeat_days,
                    "recipients": r.recipients.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
                    "sort": i,
                })
            })
            .collect();
        // Two instances seeding at once: the unique code keeps one of each.
        db.query(
            "FOR $r IN $rules {
                INSERT IGNORE INTO reminder_rule {
                    id: type::record('reminder_rule', $r.code), code: $r.code, anchor: $r.anchor,
                    offset_days: $r.offset_days, repeat_days: $r.repeat_days ?? NONE,
                    recipients: $r.recipients, enabled: true, sort: $r.sort
                };
            }",
        )
        .bind(("rules", serde_json::Value::Array(defaults)))
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?;
        return Ok(default_ladder()
            .into_iter()
            .map(|rule| LadderRung {
                rule,
                enabled: true,
            })
            .collect());
    }
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(LadderRung {
                rule: Rule {
                    code: r.code,
                    anchor: Anchor::parse(&r.anchor)?,
                    offset_days: r.offset_days,
                    repeat_days: r.repeat_days,
                    recipients: r
                        .recipients
                        .iter()
                        .filter_map(|x| Recipient::parse(x))
                        .collect(),
                },
                enabled: r.enabled,
            })
        })
        .collect())
}

/// The administrator changes a rung: when it falls, whether it repeats, who gets it,
/// whether it is on. Reminders already delivered stay as they were.
pub async fn update_rung(
    db: &Db,
    user: &SessionUser,
    code: &str,
    offset_days: &str,
    repeat_days: &str,
    recipients: &[String],
    enabled: bool,
) -> Result<(), AppError> {
    if user.role != crate::auth::Role::Administrator {
        return Err(AppError::Forbidden);
    }
    let (offset, repeat, to) = super::ladder::valid_rung(offset_days, repeat_days, recipients)?;
    ladder(db).await?;
    let updated: Vec<RecordId> = db
        .query(
            "UPDATE reminder_rule SET offset_days = $offset, repeat_days = $repeat,
                recipients = $to, enabled = $enabled
             WHERE code = $code RETURN VALUE id",
        )
        .bind(("offset", offset))
        .bind(("repeat", repeat))
        .bind((
            "to",
            to.iter()
                .map(|r| r.as_str().to_string())
                .collect::<Vec<_>>(),
        ))
        .bind(("enabled", enabled))
        .bind(("code", code.trim().to_string()))
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?
        .take(0)
        .map_err(db_err)?;
    if updated.is_empty() {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

/// One scheduler run: plan, claim, deliver. When another instance wrote the same rows at
/// the same moment, the run is simply repeated: every step is idempotent.
pub async fn tick(db: &Db, worker: &str, now: DateTime<Utc>) -> Result<Vec<Digest>, AppError> {
    let mut delivered = Vec::new();
    for _ in 0..5 {
        match tick_once(db, worker, now).await {
            Ok(digests) => {
                delivered.extend(digests);
                return Ok(delivered);
            }
            Err(AppError::WrongState) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(delivered)
}

async fn tick_once(db: &Db, worker: &str, now: DateTime<Utc>) -> Result<Vec<Digest>, AppError> {
    let rules: Vec<Rule> = ladder(db)
        .await?
        .into_iter()
        .filter(|r| r.enabled)
        .map(|r| r.rule)
        .collect();
    plan(db, &rules, now).await?;
    let claimed = claim(db, worker, now).await?;
    deliver(db, worker, &claimed, now).await
}

pub use super::{InboxEntry, LadderRung};

/// The caller's delivered reminders, newest first.
pub async fn inbox(db: &Db, user: &SessionUser) -> Result<Vec<InboxEntry>, AppError> {
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Row {
        id: RecordId,
        item: RecordId,
        number: String,
        unit_name: String,
        rule: String,
        day: String,
        read_at: Option<DateTime<Utc>>,
        sent_at: Option<DateTime<Utc>>,
    }
    let rows: Vec<Row> = db
        .query(
            "SELECT id, item, item.number AS number, item.unit.name AS unit_name, rule, day, read_at, sent_at
             FROM reminder WHERE recipient = $me AND state = 'sent' ORDER BY sent_at DESC LIMIT 200",
        )
        .bind(("me", record("user", &user.id)))
        .await.map_err(db_err)?
        .check().map_err(db_err)?
        .take(0).map_err(db_err)?;
    Ok(rows
        .into_iter()
        .map(|r| InboxEntry {
            id: key_of(&r.id),
            item_id: key_of(&r.item),
            item_number: r.number,
            unit_name: r.unit_name,
            rule: r.rule,
            day: r.day,
            read: r.read_at.is_some(),
        })
        .collect())
}

/// How many delivered reminders the caller has not read.
pub async fn unread_count(db: &Db, user: &SessionUser) -> Result<i64, AppError> {
    let n: Option<i64> = db
        .query("RETURN count((SELECT VALUE id FROM reminder WHERE recipient = $me AND state = 'sent' AND read_at = NONE))")
        .bind(("me", record("user", &user.id)))
        .await.map_err(db_err)?
        .check().map_err(db_err)?
        .take(0).map_err(db_err)?;
    Ok(n.unwrap_or(0))
}

/// Mark one of the caller's reminders read (someone else's is "not found").
pub async fn mark_read(
    db: &Db,
    user: &SessionUser,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let updated: Vec<RecordId> = db
        .query("UPDATE $id SET read_at = $now WHERE recipient = $me AND state = 'sent' RETURN VALUE id")
        .bind(("id", record("reminder", id.trim())))
        .bind(("me", record("user", &user.id)))
        .bind(("now", now))
        .await.map_err(db_err)?
        .check().map_err(db_err)?
        .take(0).map_err(db_err)?;
    if updated.is_empty() {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}
