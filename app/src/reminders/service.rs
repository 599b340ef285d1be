//! The reminder scheduler (server only). Each tick plans the reminders that have fallen
//! due (idempotently: a reminder's record id is the hash of its key) and then delivers
//! the due ones to the inbox under a lease, so that several server instances never
//! deliver the same reminder twice and a crash loses none: an expired lease is taken
//! over by the next tick, of any instance.

use super::Figures;
use super::dispatch::{self, Claimed, NewDelivery};
use super::ladder::{
    Anchor, AnchorDay, Recipient, Rule, anchors_falling_due, default_ladder, due_occurrences,
    take_days, weekly_moment,
};
use crate::AppError;
use crate::auth::SessionUser;
use crate::db::{Db, INDEXED_IN_MAX, key_of, read_where_in, record, select_where_in};
use crate::ledger::calendar::{format_date, parse_date, today};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use surrealdb::types::{RecordId, SurrealValue};

/// A write conflict with another instance (SurrealDB's optimistic transactions) becomes
/// `WrongState`, which the scheduler retries; anything else is an internal error.
pub(crate) fn db_err(e: surrealdb::Error) -> AppError {
    if is_conflict(&e.to_string()) {
        AppError::WrongState
    } else {
        AppError::from(e)
    }
}

use crate::db::is_write_conflict as is_conflict;

/// A response whose writes ran in one transaction, checked. When the commit failed, the
/// statements before it say only that they were not executed and the COMMIT says why, so
/// every error is read: a write conflict with another instance, or a reason the query
/// threw containing one of `retry_on`, becomes `WrongState` (the run is done again);
/// anything else is an internal error.
fn check_transaction(
    mut response: surrealdb::IndexedResults,
    retry_on: &[&str],
) -> Result<surrealdb::IndexedResults, AppError> {
    let Some(text) = crate::db::errors_of(&mut response) else {
        return Ok(response);
    };
    let retry = is_conflict(&text) || retry_on.iter().any(|word| text.contains(word));
    Err(if retry {
        AppError::WrongState
    } else {
        AppError::internal(text)
    })
}

/// How long a claim holds before another instance may take the reminder over.
pub const LEASE_SECONDS: i64 = 120;
/// A weekly summary not made within this many hours of its moment (the server was down)
/// is skipped: next week's will come.
pub const WEEKLY_CATCH_UP_HOURS: i64 = 12;
/// Occurrences older than this many days are not planned any more (after a long outage
/// nobody wants a month of stale reminders at once).
pub const CATCH_UP_DAYS: i64 = 3;

/// Items written this long before the last planning run are planned again: a
/// transaction that stamped its items earlier but committed later is still caught.
const PLAN_OVERLAP_SECONDS: i64 = 120;

/// When the planner last ran, and over which ladder.
#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct PlanState {
    day: String,
    rules: String,
    at: DateTime<Utc>,
    /// Anchor days not read yet (`AnchorDay::to_text`).
    todo: Option<Vec<String>>,
    /// Where the reading of a crowded anchor day stopped: `deadline 2026-12-31|<item key>`.
    after: Option<String>,
    /// Where the reading of the items written since `at` stopped (their write time), when
    /// there were more than a run reads.
    written_after: Option<DateTime<Utc>>,
}

/// An item's write stamp.
#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Written {
    id: RecordId,
    touched_at: DateTime<Utc>,
}

/// An open item as the planner reads it ([`open_items`]).
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

/// An open item's own fields.
#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct OpenRow {
    id: RecordId,
    unit: RecordId,
    district: RecordId,
    approved_deadline: String,
    registered_at: DateTime<Utc>,
    status: String,
    closure_requested_at: Option<DateTime<Utc>>,
    co_signers: Vec<String>,
    acceptance_round: i64,
}

/// A measure not done yet, of one of the items read.
#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct MeasureDue {
    item: RecordId,
    due: String,
}

/// A co-signer who passed a round of one of the items read.
#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Passed {
    item: RecordId,
    round: i64,
    co_signer: String,
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

/// The people reminders go to, looked up by unit and district (a province has a
/// hundred thousand unit heads: scanning them for every item would take hours).
#[derive(Default)]
struct People {
    by_unit: HashMap<String, Vec<Person>>,
    district_offices: HashMap<String, Vec<Person>>,
    central: Vec<Person>,
    partners: Vec<Person>,
}

impl People {
    fn of(rows: Vec<Person>) -> Self {
        let mut people = People::default();
        for p in rows {
            match (p.role.as_str(), &p.scope_unit, &p.scope_district) {
                ("unit_head" | "unit_handler", Some(u), _) => {
                    people.by_unit.entry(key_of(u)).or_default().push(p)
                }
                ("district_office", _, Some(d)) => people
                    .district_offices
                    .entry(key_of(d))
                    .or_default()
                    .push(p),
                ("central_office", _, _) => people.central.push(p),
                ("partner", _, _) => people.partners.push(p),
                _ => {}
            }
        }
        people
    }

    fn of_unit<'a>(&'a self, unit: &RecordId, role: &'a str) -> impl Iterator<Item = &'a Person> {
        self.by_unit
            .get(&key_of(unit))
            .into_iter()
            .flatten()
            .filter(move |p| p.role == role)
    }

    fn district_office(&self, district: &RecordId) -> impl Iterator<Item = &Person> {
        self.district_offices
            .get(&key_of(district))
            .into_iter()
            .flatten()
    }

    fn district_offices(&self) -> impl Iterator<Item = &Person> {
        self.district_offices.values().flatten()
    }
}

/// The users a recipient kind means for an item.
fn recipients(people: &People, kind: Recipient, item: &OpenItem) -> Vec<RecordId> {
    let found: Vec<&Person> = match kind {
        Recipient::UnitHead => people.of_unit(&item.unit, "unit_head").collect(),
        // Measure owners are named people, not always users: the unit's contact passes
        // it on.
        Recipient::UnitHandler | Recipient::MeasureOwner => {
            people.of_unit(&item.unit, "unit_handler").collect()
        }
        Recipient::DistrictOffice => people.district_office(&item.district).collect(),
        Recipient::CentralOffice => people.central.iter().collect(),
        Recipient::CoSigners => people
            .central
            .iter()
            .filter(|_| item.pending_co_signers.iter().any(|c| c == "central"))
            .chain(people.partners.iter().filter(|p| {
                p.scope_partner
                    .as_deref()
                    .is_some_and(|d| item.pending_co_signers.iter().any(|c| c == d))
            }))
            .collect(),
    };
    found.into_iter().map(|p| p.id.clone()).collect()
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
    key_hash(&format!(
        "{}|{rule}|{anchor}|{}|{occurrence}",
        key_of(item),
        key_of(recipient)
    ))
}

/// The reminders of one rule occurrence, ready to insert.
#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct NewReminder {
    id: RecordId,
    item: Option<RecordId>,
    ret: Option<RecordId>,
    rule: String,
    occurrence: i64,
    recipient: RecordId,
    day: String,
    summary: Option<Figures>,
}

/// The weekly summary's figures on `today`: the city's, and each district's by its key.
/// Counted from the statistics' facts (kept in memory and caught up with the ledger), not
/// by reading every item for every office.
async fn week_figures(
    db: &Db,
    today: NaiveDate,
) -> Result<(Figures, HashMap<String, Figures>), AppError> {
    let store = crate::stats::facts::current(db).await?;
    let (city, by_district) = super::ladder::week_figures(&store.facts, today);
    let by_district = by_district
        .into_iter()
        .enumerate()
        .map(|(n, f)| (store.districts.name(n as u32).to_string(), f))
        .collect();
    Ok((city, by_district))
}

fn key_hash(key: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// How many items one planning run reads at most for the days it catches up with, and
/// of those written since the run before: a new day's reminders, or those of a bulk
/// write, are planned in several short runs, not in one that holds up the database.
pub const PLAN_BATCH: usize = 300;

/// How many items a planning run reads at most ([`plan_at_most`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batches {
    /// Items with a milestone on the days caught up with.
    pub anchored: usize,
    /// Items written since the run before. A full batch of them is a bulk write: the
    /// days wait until it has been read.
    pub written: usize,
    /// How long a write may take to commit, in seconds: the reading of a bulk write
    /// never goes on from a write time later than this before the run's clock, so that
    /// an item stamped earlier but committed after a page was read is read by a later one.
    pub settle_seconds: i64,
    /// How long a run goes on finding the items of more anchor days, in milliseconds
    /// from its start, once it has found any (until then it goes on: most days a
    /// repeating rung reaches back to hold none). A database slowed down (by merging a
    /// bulk write, say) then plans fewer items a run, not slower runs.
    pub anchored_ms: u64,
}

impl Default for Batches {
    fn default() -> Self {
        Batches {
            anchored: PLAN_BATCH,
            written: PLAN_BATCH,
            settle_seconds: WRITE_SETTLE_SECONDS,
            anchored_ms: PLAN_ANCHORED_MS,
        }
    }
}

/// How long a run goes on finding anchor days' items ([`Batches::anchored_ms`]). At a
/// million items a run's finding mostly takes tens of milliseconds, a single find up to
/// a few hundred (the benchmark's debug log, `anchored_ms` and `find_ms`).
pub const PLAN_ANCHORED_MS: u64 = 300;

/// How long a write may take to commit ([`Batches::settle_seconds`]).
pub const WRITE_SETTLE_SECONDS: i64 = 10;

/// How many due reminders one run delivers at most; the rest go in the runs after it.
pub const CLAIM_BATCH: usize = 200;

/// What one planning run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Planned {
    /// Reminders planned that were not planned before.
    pub new: usize,
    /// Anchor days are left for the next run.
    pub more: bool,
}

/// The items anchored on each of `days` (all of one anchor), open or not, found through
/// the index of that anchor: every day asked for is in the answer, with none if none.
/// (Reads only: no write conflict to tell apart, so no [`db_err`].)
async fn anchored_on(db: &Db, days: &[AnchorDay]) -> Result<DaysFound, AppError> {
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct OnDay {
        id: RecordId,
        day: String,
    }
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Requested {
        id: RecordId,
        at: DateTime<Utc>,
    }
    let mut found: DaysFound = days.iter().map(|d| (*d, Vec::new())).collect();
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Ok(found);
    };
    let anchor = first.anchor;
    let text: Vec<String> = days.iter().map(|a| format_date(a.day)).collect();
    let on_day: Vec<(RecordId, NaiveDate)> = match anchor {
        Anchor::Deadline | Anchor::MeasureDue => {
            let find = if anchor == Anchor::Deadline {
                "SELECT id, approved_deadline AS day FROM item WHERE approved_deadline IN $days"
            } else {
                "SELECT item AS id, due AS day FROM measure WHERE due IN $days AND done_on = NONE"
            };
            let rows: Vec<OnDay> = db
                .query(find)
                .bind(("days", text))
                .await?
                .check()?
                .take(0)?;
            rows.into_iter()
                .filter_map(|r| Some((r.id, parse_date(&r.day)?)))
                .collect()
        }
        // Between the earliest day's start and the latest one's end (days between that are
        // not anchor days only cost a little reading, and are left out).
        Anchor::ClosureRequested => {
            // A Shanghai day's start, as an instant.
            let start = |day: NaiveDate| {
                crate::ledger::calendar::shanghai()
                    .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
                    .single()
                    .map(|t| t.with_timezone(&Utc))
            };
            let (earliest, latest) = (first.day.min(last.day), first.day.max(last.day));
            let rows: Vec<Requested> = db
                .query(
                    "SELECT id, closure_requested_at AS at FROM item
                        WHERE closure_requested_at >= $from AND closure_requested_at < $until",
                )
                .bind(("from", start(earliest)))
                .bind(("until", start(latest + Duration::days(1))))
                .await?
                .check()?
                .take(0)?;
            rows.into_iter().map(|r| (r.id, today(r.at))).collect()
        }
        Anchor::Weekly | Anchor::ReturnDue => Vec::new(),
    };
    for (id, day) in on_day {
        if let Some(of_day) = found.get_mut(&AnchorDay { anchor, day }) {
            of_day.push(id);
        }
    }
    Ok(found)
}

/// Items found on anchor days that a run did not read to their end, kept beside the
/// database handle for the next runs (a crowded day's items are found once, then read a
/// page a run). An item that joins such a day later is written, so the next run reads it
/// anyway; one that leaves it is read and plans what its own dates say.
#[derive(Default)]
struct FoundDays(std::sync::Mutex<Option<(std::time::Instant, DaysFound)>>);

/// Each anchor day's items, as found.
type DaysFound = HashMap<AnchorDay, Vec<RecordId>>;

/// How long found days are kept (other servers on the same database may have read them
/// meanwhile; then they are found again).
const KEEP_FOUND_FOR: std::time::Duration = std::time::Duration::from_secs(600);

impl FoundDays {
    /// The kept days of the longest start of `days` found before.
    fn take_start(&self, days: &[AnchorDay]) -> DaysFound {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let Some((at, found)) = kept.take() else {
            return HashMap::new();
        };
        if at.elapsed() > KEEP_FOUND_FOR {
            return HashMap::new();
        }
        let mut found = found;
        let mut start = HashMap::new();
        for day in days {
            match found.remove(day) {
                Some(of_day) => start.insert(*day, of_day),
                None => break,
            };
        }
        start
    }

    fn keep(&self, left: DaysFound) {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *kept = (!left.is_empty()).then(|| (std::time::Instant::now(), left));
    }
}

/// The items written since `since`, or after `after` where a run stopped reading them,
/// oldest write first: at most `batch` of them, and those written in the same instant as
/// the last one read. With a full batch, where to go on from next run: that last write
/// time, but no later than `settled` (items written after it may be read twice, which
/// plans nothing twice; one stamped before it and committed late is not skipped).
async fn written_since(
    db: &Db,
    since: DateTime<Utc>,
    after: Option<DateTime<Utc>>,
    batch: usize,
    settled: DateTime<Utc>,
) -> Result<(Vec<RecordId>, Option<DateTime<Utc>>), AppError> {
    let page: Vec<Written> = db
        .query(match after {
            Some(_) => "SELECT id, touched_at FROM item WHERE touched_at > $after ORDER BY touched_at LIMIT $batch",
            None => "SELECT id, touched_at FROM item WHERE touched_at >= $since ORDER BY touched_at LIMIT $batch",
        })
        .bind(("since", since))
        .bind(("after", after))
        .bind(("batch", batch.max(1) as i64))
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?
        .take(0)
        .map_err(db_err)?;
    let full = page.len() >= batch.max(1);
    let last = page.last().map(|w| w.touched_at);
    let mut ids: Vec<RecordId> = page.into_iter().map(|w| w.id).collect();
    match (full, last) {
        (true, Some(last)) => {
            // The next run reads after `last`: take the rest of its instant now.
            let same: Vec<RecordId> = db
                .query("SELECT VALUE id FROM item WHERE touched_at = $last")
                .bind(("last", last))
                .await
                .map_err(db_err)?
                .check()
                .map_err(db_err)?
                .take(0)
                .map_err(db_err)?;
            for id in same {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            Ok((ids, Some(last.min(settled))))
        }
        _ => Ok((ids, None)),
    }
}

/// Those of `ids` that are open (for a closure request's anchor: waiting for acceptance),
/// with their measures not done and the co-signers of the current closure request that
/// have not passed. Three reads in two round trips: the items, then their measures and
/// acceptances through each table's `item` index ([`read_where_in`]; a subquery an item
/// inside the query read the acceptance table whole for every item, and one on
/// `$parent.id` reads the measure table whole).
async fn open_items(
    db: &Db,
    ids: Vec<RecordId>,
    anchor: Anchor,
) -> Result<Vec<OpenItem>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let which = match anchor {
        Anchor::ClosureRequested => "status = 'closure_requested'",
        _ => "status NOT IN ['registered', 'closed', 'withdrawn']",
    };
    let rows: Vec<OpenRow> = db
        .query(format!(
            "SELECT id, unit, district, approved_deadline, registered_at, status,
                closure_requested_at, co_signers, acceptance_round FROM $ids WHERE {which}"
        ))
        .bind(("ids", ids))
        .await?
        .check()?
        .take(0)?;
    let found: Vec<RecordId> = rows.iter().map(|r| r.id.clone()).collect();
    let mut related = read_where_in(
        db,
        &found,
        &[
            "SELECT item, due FROM measure WHERE item IN $some AND done_on = NONE",
            "SELECT item, round, co_signer FROM acceptance WHERE item IN $some AND passed = true",
        ],
    )
    .await?;
    let mut measures: HashMap<String, Vec<MeasureDue>> = HashMap::new();
    for m in related.take::<MeasureDue>(0)? {
        measures.entry(key_of(&m.item)).or_default().push(m);
    }
    let mut passed: HashMap<String, Vec<Passed>> = HashMap::new();
    for p in related.take::<Passed>(1)? {
        passed.entry(key_of(&p.item)).or_default().push(p);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let key = key_of(&r.id);
            let passed = passed.remove(&key).unwrap_or_default();
            let pending_co_signers = r
                .co_signers
                .into_iter()
                .filter(|c| {
                    !passed
                        .iter()
                        .any(|p| p.round == r.acceptance_round && p.co_signer == *c)
                })
                .collect();
            OpenItem {
                measures: measures.remove(&key).unwrap_or_default(),
                id: r.id,
                unit: r.unit,
                district: r.district,
                approved_deadline: r.approved_deadline,
                registered_at: r.registered_at,
                status: r.status,
                closure_requested_at: r.closure_requested_at,
                pending_co_signers,
            }
        })
        .collect())
}

/// Plan the reminders that have fallen due by `now` for open items (those of items no
/// longer open are cancelled when claimed).
///
/// An item's milestones fall on days and change only when the item does, so a run reads
/// only the items written since the run before (the database stamps each write) and, on
/// a new day, those with a milestone on the days since the last run (at most
/// [`CATCH_UP_DAYS`] back; `ladder::anchors_falling_due`), found through the indexes of
/// their deadline, measures' due dates and closure request; [`PLAN_BATCH`] items a run
/// of each, the anchor days and writes left kept for the next. A changed ladder catches
/// up again.
pub async fn plan(db: &Db, rules: &[Rule], now: DateTime<Utc>) -> Result<Planned, AppError> {
    plan_at_most(db, rules, now, Batches::default()).await
}

/// [`plan`], reading at most about so many items.
pub async fn plan_at_most(
    db: &Db,
    rules: &[Rule],
    now: DateTime<Utc>,
    batches: Batches,
) -> Result<Planned, AppError> {
    let batch = batches.anchored;
    let started = std::time::Instant::now();
    let today = today(now);
    let clock: Option<DateTime<Utc>> = db
        .query("RETURN time::now()")
        .await
        .map_err(db_err)?
        .take(0)
        .map_err(db_err)?;
    let clock = clock.unwrap_or(now);
    let fingerprint = key_hash(&format!("{rules:?}"));
    let last: Option<PlanState> = db
        .query("SELECT day, rules, at, todo, after, written_after FROM ONLY reminder_plan:state")
        .await
        .map_err(db_err)?
        .take(0)
        .map_err(db_err)?;
    // Under another ladder, nothing planned before counts.
    let last = last.filter(|l| l.rules == fingerprint);
    let since_floor = today - Duration::days(CATCH_UP_DAYS);
    let mut todo: Vec<AnchorDay> = last
        .as_ref()
        .and_then(|l| l.todo.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|t| AnchorDay::parse(t))
        .collect();
    let caught_up_to = last.as_ref().and_then(|l| parse_date(&l.day));
    if caught_up_to != Some(today) {
        let from = match caught_up_to {
            Some(day) if day < today => (day + Duration::days(1)).max(since_floor),
            _ => since_floor,
        };
        todo.extend(anchors_falling_due(rules, from, today));
        todo.sort_by(|a, b| b.cmp(a));
        todo.dedup();
    }
    // The items written since the last run (or since where the last run stopped reading
    // them), oldest write first, at most a batch: a bulk write is read over several runs.
    let (written, written_after) = match &last {
        Some(l) => {
            let settled = clock - Duration::seconds(batches.settle_seconds);
            written_since(db, l.at, l.written_after, batches.written, settled).await?
        }
        None => (Vec::new(), None),
    };
    // (Any anchor but a closure request's: the items open in any step.)
    let mut items = open_items(db, written, Anchor::Deadline).await?;
    let mut read = std::collections::HashSet::new();
    items.retain(|i| read.insert(key_of(&i.id)));
    let (touched, touched_ms) = (items.len(), started.elapsed().as_millis());
    // The crowded day being read in pages, and the last item read of it.
    let mut after: Option<(AnchorDay, String)> = last
        .as_ref()
        .and_then(|l| l.after.as_deref())
        .and_then(|a| a.split_once('|'))
        .and_then(|(day, key)| Some((AnchorDay::parse(day)?, key.to_string())));
    // The anchor days in runs of one anchor, latest first (the days years back of a
    // repeating rung come last, mostly empty), as many days a query as should bring the
    // batch to its size by the last query's count, twice as many after one that found
    // nothing, halved while they hold more than the batch has room for. While a bulk
    // write is being read the days wait; otherwise only the items of anchor days count
    // against the batch.
    let (mut done, mut taken, mut size) = (0, if written_after.is_some() { batch } else { 0 }, 1);
    // Where the anchored part's time goes (the debug log): the index reads that find
    // the items, and the reads of the items found.
    let (mut finds, mut find_ms, mut read_ms) = (0usize, 0u128, 0u128);
    let kept = db.kept::<FoundDays>("reminders: anchor days found");
    let time = std::time::Duration::from_millis(batches.anchored_ms);
    let mut rounds = 0;
    while done < todo.len() && taken < batch && (taken == 0 || started.elapsed() < time) {
        rounds += 1;
        let anchor = todo[done].anchor;
        let of_anchor = todo[done..]
            .iter()
            .take_while(|a| a.anchor == anchor)
            .count();
        let mut found = kept.take_start(&todo[done..done + of_anchor]);
        if found.is_empty() {
            let finding = std::time::Instant::now();
            found = anchored_on(db, &todo[done..done + of_anchor.min(size)]).await?;
            finds += 1;
            find_ms += finding.elapsed().as_millis();
        }
        let days = found.len();
        let n: usize = found.values().map(Vec::len).sum();
        let cursor = after.as_ref().map(|(d, key)| (*d, key.as_str()));
        let took = take_days(
            &todo[done..done + days],
            found,
            key_of,
            cursor,
            batch - taken,
        );
        kept.keep(took.left);
        taken += took.items.len();
        let reading = std::time::Instant::now();
        let open = open_items(db, took.items, anchor).await?;
        read_ms += reading.elapsed().as_millis();
        for item in open {
            if read.insert(key_of(&item.id)) {
                items.push(item);
            }
        }
        done += took.days_done;
        if let Some(key) = took.stopped_at {
            after = Some((todo[done], key));
            break;
        }
        if after
            .as_ref()
            .is_some_and(|(d, _)| todo[..done].contains(d))
        {
            after = None;
        }
        // No more days a query than SurrealDB reads through the index, as many as should
        // fill the room left by the last count, twice as many after none.
        size = match n {
            0 => days * 2,
            n => (batch.saturating_sub(taken) * days / n).clamp(1, days * 2),
        }
        .min(INDEXED_IN_MAX);
    }
    let left: Vec<String> = todo[done..].iter().map(|a| a.to_text()).collect();
    let anchored_ms = started.elapsed().as_millis();
    let returns = due_returns(db).await?;
    // Only the people of the units concerned, and the offices.
    let mut units: Vec<RecordId> = items
        .iter()
        .map(|i| i.unit.clone())
        .chain(returns.iter().filter_map(|r| r.unit.clone()))
        .collect();
    units.sort_by_key(key_of);
    units.dedup();
    // Through the index of the unit (not also of the role: then SurrealDB reads every
    // unit head and compares each with every unit asked for).
    let mut response = db
        .query(format!(
            "SELECT id, role, scope_unit, scope_district, scope_partner FROM user
                WHERE role IN ['district_office', 'central_office', 'partner'];
             RETURN {};",
            select_where_in(
                "SELECT id, role, scope_unit, scope_district, scope_partner FROM user",
                "scope_unit",
                "$units",
                ""
            )
        ))
        .bind(("units", units))
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?;
    let mut people: Vec<Person> = response.take(0).map_err(db_err)?;
    let of_units: Vec<Person> = response.take(1).map_err(db_err)?;
    people.extend(
        of_units
            .into_iter()
            .filter(|p| matches!(p.role.as_str(), "unit_head" | "unit_handler")),
    );
    let people = People::of(people);
    let people_ms = started.elapsed().as_millis();
    let mut rows = Vec::new();
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
                Anchor::Weekly | Anchor::ReturnDue => Vec::new(),
            };
            for anchor in &anchors {
                for (occurrence, day) in due_occurrences(rule, *anchor, since, today) {
                    for kind in &rule.recipients {
                        for user in recipients(&people, *kind, item) {
                            rows.push(NewReminder {
                                id: record(
                                    "reminder",
                                    &reminder_key(&item.id, &rule.code, *anchor, &user, occurrence),
                                ),
                                item: Some(item.id.clone()),
                                ret: None,
                                rule: rule.code.clone(),
                                occurrence: i64::from(occurrence),
                                recipient: user,
                                day: format_date(day),
                                summary: None,
                            });
                        }
                    }
                }
            }
        }
    }
    // The weekly summary: once a week, to its recipients, with the figures of the moment.
    let settings = dispatch::reminder_settings(db).await?;
    let summary_at = super::ladder::parse_time_of_day(&settings.summary_time)
        .or_else(|| chrono::NaiveTime::from_hms_opt(9, 0, 0))
        .unwrap_or_default();
    for rule in rules.iter().filter(|r| r.anchor == Anchor::Weekly) {
        let Some(moment) = weekly_moment(rule.offset_days, summary_at, now) else {
            continue;
        };
        if now - moment > Duration::hours(WEEKLY_CATCH_UP_HOURS) {
            continue;
        }
        let week = crate::ledger::calendar::today(moment);
        // Once a week each: only the recipients who do not have this week's yet.
        let mut due: Vec<(RecordId, &Person, Option<RecordId>)> = Vec::new();
        for kind in &rule.recipients {
            for p in people.central.iter().chain(people.district_offices()) {
                let district = match (kind, p.role.as_str()) {
                    (Recipient::CentralOffice, "central_office") => None,
                    (Recipient::DistrictOffice, "district_office")
                        if p.scope_district.is_some() =>
                    {
                        p.scope_district.clone()
                    }
                    _ => continue,
                };
                let id = record(
                    "reminder",
                    &key_hash(&format!("{}|{week}|{}", rule.code, key_of(&p.id))),
                );
                due.push((id, p, district));
            }
        }
        let ids: Vec<RecordId> = due.iter().map(|d| d.0.clone()).collect();
        let planned: Vec<RecordId> = db
            .query("SELECT VALUE id FROM $ids")
            .bind(("ids", ids))
            .await
            .map_err(db_err)?
            .check()
            .map_err(db_err)?
            .take(0)
            .map_err(db_err)?;
        due.retain(|d| !planned.contains(&d.0));
        if due.is_empty() {
            continue;
        }
        let (city, by_district) = week_figures(db, today).await?;
        for (id, p, district) in due {
            let summary = match &district {
                None => city.clone(),
                Some(d) => by_district.get(&key_of(d)).cloned().unwrap_or_default(),
            };
            rows.push(NewReminder {
                id,
                item: None,
                ret: None,
                rule: rule.code.clone(),
                occurrence: 0,
                recipient: p.id.clone(),
                day: format_date(week),
                summary: Some(summary),
            });
        }
    }
    rows.extend(plan_returns(rules, &returns, &people, since_floor, today));
    let more = !left.is_empty() || written_after.is_some();
    let rows_ms = started.elapsed().as_millis();
    // While a bulk write is being read, `at` stays where its reading began.
    let at = match (&last, written_after) {
        (Some(l), Some(_)) => l.at,
        _ => clock - Duration::seconds(PLAN_OVERLAP_SECONDS),
    };
    let rows_len = rows.len();
    let ids: Vec<RecordId> = rows.iter().map(|r| r.id.clone()).collect();
    // The reminders and where the next run goes on, in one transaction (one commit, so
    // one wait for the disk): a run that fails is done again as a whole.
    let writing = std::time::Instant::now();
    let mut written = db
        .query(
            "BEGIN TRANSACTION;
             FOR $r IN $rows {
                INSERT IGNORE INTO reminder {
                    id: $r.id, item: $r.item, ret: $r.ret, rule: $r.rule,
                    occurrence: $r.occurrence, recipient: $r.recipient,
                    day: $r.day, summary: $r.summary, due_at: $now, state: 'pending', created_at: $now
                };
             };
             UPSERT reminder_plan:state SET day = $day, rules = $rules, at = $at, todo = $todo,
                after = $after, written_after = $written_after;
             COMMIT TRANSACTION;
             SELECT VALUE id FROM $ids WHERE created_at = $now;",
        )
        .bind(("rows", rows))
        .bind(("ids", ids))
        .bind(("now", now))
        .bind(("after", after.map(|(day, key)| format!("{}|{key}", day.to_text()))))
        .bind(("written_after", written_after))
        .bind(("day", format_date(today)))
        .bind(("rules", fingerprint))
        .bind(("at", at))
        .bind(("todo", left))
        .await
        .map_err(db_err)
        .and_then(|r| check_transaction(r, &[]))?;
    let last_statement = written.num_statements().saturating_sub(1);
    let created: Vec<RecordId> = written.take(last_statement).map_err(db_err)?;
    let write_ms = writing.elapsed().as_millis();
    tracing::debug!(
        touched,
        touched_ms,
        anchor_items = taken,
        anchor_finds = finds,
        anchor_rounds = rounds,
        find_ms,
        read_ms,
        anchored_ms,
        people_ms,
        rows = rows_len,
        rows_ms,
        write_ms,
        total_ms = started.elapsed().as_millis(),
        "reminders planned"
    );
    Ok(Planned {
        new: created.len(),
        more,
    })
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct DueReturn {
    id: RecordId,
    district: RecordId,
    unit: Option<RecordId>,
    closes: String,
    opened_at: Option<DateTime<Utc>>,
}

/// Campaign returns not yet submitted, in open campaigns.
async fn due_returns(db: &Db) -> Result<Vec<DueReturn>, AppError> {
    db.query(
        "SELECT id, district, unit, campaign.closes AS closes, campaign.opened_at AS opened_at
            FROM campaign_return WHERE campaign.state = 'open' AND state IN ['draft', 'returned']",
    )
    .await
    .map_err(db_err)?
    .check()
    .map_err(db_err)?
    .take(0)
    .map_err(db_err)
}

/// Reminders of campaign returns not yet submitted, counted back from the campaign's
/// last day: the district office for a district's return, the unit's head and contact
/// for a unit's own.
fn plan_returns(
    rules: &[Rule],
    due: &[DueReturn],
    people: &People,
    since_floor: NaiveDate,
    today: NaiveDate,
) -> Vec<NewReminder> {
    let mut rows = Vec::new();
    for r in due {
        let Some(anchor) = parse_date(&r.closes) else {
            continue;
        };
        let since = r
            .opened_at
            .map(crate::ledger::calendar::today)
            .unwrap_or(since_floor)
            .max(since_floor);
        for rule in rules.iter().filter(|x| x.anchor == Anchor::ReturnDue) {
            let mut wanted: Vec<&Person> = Vec::new();
            for kind in &rule.recipients {
                match (kind, &r.unit) {
                    (Recipient::DistrictOffice, None) => {
                        wanted.extend(people.district_office(&r.district))
                    }
                    (Recipient::UnitHead, Some(u)) => wanted.extend(people.of_unit(u, "unit_head")),
                    (Recipient::UnitHandler, Some(u)) => {
                        wanted.extend(people.of_unit(u, "unit_handler"))
                    }
                    _ => {}
                }
            }
            wanted.dedup_by(|a, b| a.id == b.id);
            for (occurrence, day) in due_occurrences(rule, anchor, since, today) {
                for p in &wanted {
                    rows.push(NewReminder {
                        id: record(
                            "reminder",
                            &reminder_key(&r.id, &rule.code, anchor, &p.id, occurrence),
                        ),
                        item: None,
                        ret: Some(r.id.clone()),
                        rule: rule.code.clone(),
                        occurrence: i64::from(occurrence),
                        recipient: p.id.clone(),
                        day: format_date(day),
                        summary: None,
                    });
                }
            }
        }
    }
    rows
}

/// Claim due pending reminders for `worker` until the lease ends, [`CLAIM_BATCH`] at
/// most. Rows claimed by another worker whose lease has not ended are left alone.
/// Reminders of items closed or withdrawn since, and of returns no longer awaited, are
/// cancelled instead.
pub async fn claim(db: &Db, worker: &str, now: DateTime<Utc>) -> Result<Vec<RecordId>, AppError> {
    Ok(claim_batch(db, worker, now).await?.0)
}

/// [`claim`], and whether the batch was full (more may be waiting).
async fn claim_batch(
    db: &Db,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<(Vec<RecordId>, bool), AppError> {
    let mut response = db
        .query(
            // The due rows through their index (an UPDATE whose WHERE has an OR reads the
            // whole table), then cancelled or claimed in one transaction (one commit) that
            // checks the lease again: two instances cannot both claim a row.
            "BEGIN TRANSACTION;
             LET $due = SELECT VALUE id FROM reminder WHERE state = 'pending' AND due_at <= $now
                AND (lease_until = NONE OR lease_until < $now) LIMIT $batch;
             UPDATE $due SET state = 'cancelled'
                WHERE state = 'pending' AND (item.status IN ['closed', 'withdrawn']
                    OR (ret != NONE AND (ret.state NOT IN ['draft', 'returned']
                        OR ret.campaign.state != 'open')));
             LET $claimed = UPDATE $due SET lease_owner = $worker, lease_until = $until
                WHERE state = 'pending' AND due_at <= $now
                    AND (lease_until = NONE OR lease_until < $now)
                RETURN VALUE id;
             COMMIT TRANSACTION;
             RETURN { claimed: $claimed, due: array::len($due) };",
        )
        .bind(("worker", worker.to_string()))
        .bind(("until", now + Duration::seconds(LEASE_SECONDS)))
        .bind(("now", now))
        .bind(("batch", CLAIM_BATCH as i64))
        .await
        .map_err(db_err)
        .and_then(|r| check_transaction(r, &[]))?;
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Claim {
        claimed: Vec<RecordId>,
        due: i64,
    }
    let last_statement = response.num_statements().saturating_sub(1);
    let claim: Option<Claim> = response.take(last_statement).map_err(db_err)?;
    let Claim { claimed, due } = claim.unwrap_or(Claim {
        claimed: Vec::new(),
        due: 0,
    });
    Ok((claimed, due >= CLAIM_BATCH as i64))
}

/// One person's reminders of one run: what a channel sends as a single digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    pub recipient: String,
    pub reminders: Vec<String>,
}

/// Deliver what `worker` claimed: into the inbox (state `sent`), once, and in the same
/// transaction the messages to send on the other channels (see `dispatch`). A row whose
/// lease was taken over meanwhile makes the whole delivery stale: nothing is written and
/// the next run tries again.
pub async fn deliver(
    db: &Db,
    worker: &str,
    claimed: &[RecordId],
    now: DateTime<Utc>,
    public_url: Option<&str>,
) -> Result<Vec<Digest>, AppError> {
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let started = std::time::Instant::now();
    let mine: Vec<Claimed> = db
        .query(
            "SELECT id, recipient, recipient.locale AS locale, recipient.phone AS phone, item, ret,
                (item.number ?? ret.campaign.name) AS number, (item.unit ?? ret.unit) AS unit,
                (item.unit.name ?? ret.unit.name ?? ret.district.name) AS unit_name,
                (item.district ?? ret.district) AS district,
                (item.approved_deadline ?? ret.campaign.closes) AS deadline, rule, summary
             FROM $ids WHERE state = 'pending' AND lease_owner = $worker",
        )
        .bind(("ids", claimed.to_vec()))
        .bind(("worker", worker.to_string()))
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?
        .take(0)
        .map_err(db_err)?;
    if mine.is_empty() {
        return Ok(Vec::new());
    }
    let read_ms = started.elapsed().as_millis();
    let deliveries: Vec<NewDelivery> =
        dispatch::plan_deliveries(db, public_url, &mine, now).await?;
    let planned_ms = started.elapsed().as_millis();
    let ids: Vec<RecordId> = mine.iter().map(|c| c.id.clone()).collect();
    db.query(format!(
            "BEGIN TRANSACTION;
             LET $sent = (UPDATE $ids SET state = 'sent', sent_at = $now, lease_owner = NONE,
                lease_until = NONE WHERE state = 'pending' AND lease_owner = $worker RETURN VALUE id);
             IF array::len($sent) != array::len($ids) {{ THROW 'stale' }};
             {};
             COMMIT TRANSACTION;",
            dispatch::CREATE_DELIVERIES
        ))
        .bind(("ids", ids))
        .bind(("worker", worker.to_string()))
        .bind(("now", now))
        .bind(("deliveries", deliveries))
        .await
        .map_err(db_err)
        .and_then(|r| check_transaction(r, &["stale"]))?;
    tracing::debug!(
        reminders = mine.len(),
        read_ms,
        planned_ms,
        total_ms = started.elapsed().as_millis(),
        "delivery written"
    );
    let mut by_person: HashMap<String, Vec<String>> = HashMap::new();
    for c in &mine {
        by_person
            .entry(key_of(&c.recipient))
            .or_default()
            .push(key_of(&c.id));
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

async fn read_ladder(db: &Db) -> Result<Vec<RuleRow>, AppError> {
    db.query("SELECT code, anchor, offset_days, repeat_days, recipients, enabled, sort FROM reminder_rule ORDER BY sort")
        .await.map_err(db_err)?
        .check().map_err(db_err)?
        .take(0).map_err(db_err)
}

/// The whole ladder, enabled or not, in order; the default rungs a database lacks (all
/// of them at first, a new one after an upgrade) are stored on first use.
pub async fn ladder(db: &Db) -> Result<Vec<LadderRung>, AppError> {
    let mut rows = read_ladder(db).await?;
    let missing: Vec<serde_json::Value> = default_ladder()
        .iter()
        .enumerate()
        .filter(|(_, r)| !rows.iter().any(|x| x.code == r.code))
        .map(|(i, r)| {
            serde_json::json!({
                "code": r.code, "anchor": r.anchor.as_str(), "offset_days": r.offset_days,
                "repeat_days": r.repeat_days,
                "recipients": r.recipients.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
                "sort": i,
            })
        })
        .collect();
    if !missing.is_empty() {
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
        .bind(("rules", serde_json::Value::Array(missing)))
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?;
        rows = read_ladder(db).await?;
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
    let rungs = ladder(db).await?;
    // The weekly summary's "offset" is its weekday, Monday (0) to Sunday (6).
    let weekly = rungs
        .iter()
        .any(|r| r.rule.code == code.trim() && r.rule.anchor == Anchor::Weekly);
    if weekly && !(0..=6).contains(&offset) {
        return Err(AppError::invalid(
            crate::error::Field::OffsetDays,
            crate::error::Problem::Invalid,
        ));
    }
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
    Ok(tick_paced(db, worker, now, None, Pace::whole())
        .await?
        .digests)
}

/// What one scheduler run delivered, and whether work is left for the next run at once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ran {
    pub digests: Vec<Digest>,
    /// Anchor days left to plan, or as many reminders delivered as a run delivers, or
    /// a delivery left to the next run.
    pub more: bool,
}

/// How long a run may go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pace {
    /// A run whose planning took longer than this, in milliseconds, leaves claiming and
    /// delivering to the run after it, which then does only that (so the two always
    /// take turns and both go forward). A database slowed down (writing out and merging
    /// a bulk write) then makes two short runs, not one long one.
    pub deliver_after_plan_ms: u64,
    /// How long a run's planning goes on finding anchor days' items
    /// ([`Batches::anchored_ms`]).
    pub anchored_ms: u64,
}

/// A run's planning that took longer than this leaves delivering to the next run
/// ([`Pace::deliver_after_plan_ms`]). At a million items a run mostly plans in about
/// 150 ms and claims and delivers in about as long; some, while the database merged
/// what had been generated, planned for 800 ms and then took 700 more to claim (the
/// benchmark's debug log, README "Speed").
pub const DELIVER_AFTER_PLAN_MS: u64 = 400;

impl Default for Pace {
    fn default() -> Self {
        Pace {
            deliver_after_plan_ms: DELIVER_AFTER_PLAN_MS,
            anchored_ms: PLAN_ANCHORED_MS,
        }
    }
}

impl Pace {
    /// Plan, claim and deliver in every run, however long it takes ([`tick`]): what a
    /// run does then depends on the data alone, never on how fast the machine is.
    pub fn whole() -> Self {
        Pace {
            deliver_after_plan_ms: u64::MAX,
            anchored_ms: u64::MAX,
        }
    }
}

/// A delivery a run left to the next ([`Pace`]), for this process's database, and
/// whether that run's planning left work: 0 nothing owed, [`OWED`] a delivery,
/// [`OWED_AND_MORE`] a delivery and more planning.
#[derive(Default)]
struct DeliveryOwed(std::sync::atomic::AtomicU8);
const OWED: u8 = 1;
const OWED_AND_MORE: u8 = 2;

/// [`tick`], with the app's public address for links in group messages, at the
/// scheduler's [`Pace`].
pub async fn tick_with(
    db: &Db,
    worker: &str,
    now: DateTime<Utc>,
    public_url: Option<&str>,
) -> Result<Ran, AppError> {
    tick_paced(db, worker, now, public_url, Pace::default()).await
}

/// [`tick_with`] at the pace given.
pub async fn tick_paced(
    db: &Db,
    worker: &str,
    now: DateTime<Utc>,
    public_url: Option<&str>,
    pace: Pace,
) -> Result<Ran, AppError> {
    for _ in 0..5 {
        match tick_once(db, worker, now, public_url, pace).await {
            Err(AppError::WrongState) => continue,
            done => return done,
        }
    }
    Ok(Ran::default())
}

async fn tick_once(
    db: &Db,
    worker: &str,
    now: DateTime<Utc>,
    public_url: Option<&str>,
    pace: Pace,
) -> Result<Ran, AppError> {
    use std::sync::atomic::Ordering::SeqCst;
    let kept = db.kept::<DeliveryOwed>("reminders::delivery_owed");
    let started = std::time::Instant::now();
    // The run after one that left its delivery only delivers; it plans nothing, and asks
    // for the next run at once only if that planning left work or its batch is full. At
    // the whole pace a run always plans.
    let owed = kept.0.swap(0, SeqCst);
    let planned = if owed != 0 && pace != Pace::whole() {
        Planned {
            new: 0,
            more: owed == OWED_AND_MORE,
        }
    } else {
        let rules: Vec<Rule> = ladder(db)
            .await?
            .into_iter()
            .filter(|r| r.enabled)
            .map(|r| r.rule)
            .collect();
        let batches = Batches {
            anchored_ms: pace.anchored_ms,
            ..Batches::default()
        };
        let planned = plan_at_most(db, &rules, now, batches).await?;
        let took = started.elapsed();
        if took > std::time::Duration::from_millis(pace.deliver_after_plan_ms) {
            let plan_ms = took.as_millis();
            kept.0
                .store(if planned.more { OWED_AND_MORE } else { OWED }, SeqCst);
            tracing::debug!(
                planned = planned.new,
                plan_ms,
                total_ms = plan_ms,
                "reminder run, delivery left to the next"
            );
            return Ok(Ran {
                digests: Vec::new(),
                more: true,
            });
        }
        planned
    };
    let plan_ms = started.elapsed().as_millis();
    let (claimed, full) = claim_batch(db, worker, now).await?;
    let claim_ms = started.elapsed().as_millis();
    let digests = deliver(db, worker, &claimed, now, public_url).await?;
    tracing::debug!(
        planned = planned.new,
        plan_ms,
        claimed = claimed.len(),
        claim_ms,
        total_ms = started.elapsed().as_millis(),
        "reminder run"
    );
    Ok(Ran {
        digests,
        more: planned.more || full,
    })
}

pub use super::{InboxEntry, LadderRung};

/// The caller's delivered reminders, newest first.
pub async fn inbox(db: &Db, user: &SessionUser) -> Result<Vec<InboxEntry>, AppError> {
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Row {
        id: RecordId,
        item: Option<RecordId>,
        ret: Option<RecordId>,
        number: Option<String>,
        unit_name: Option<String>,
        rule: String,
        day: String,
        read_at: Option<DateTime<Utc>>,
        sent_at: Option<DateTime<Utc>>,
        summary: Option<Figures>,
    }
    let rows: Vec<Row> = db
        .query(
            "SELECT id, item, ret, (item.number ?? ret.campaign.name) AS number,
                (item.unit.name ?? ret.unit.name ?? ret.district.name) AS unit_name, rule, day, read_at, sent_at, summary
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
            item_id: r.item.as_ref().map(key_of).unwrap_or_default(),
            link: match (&r.item, &r.ret) {
                (Some(i), _) => format!("/items/{}", key_of(i)),
                (None, Some(ret)) => format!("/returns/{}", key_of(ret)),
                _ => "/ledger".to_string(),
            },
            item_number: r.number.unwrap_or_default(),
            unit_name: r.unit_name.unwrap_or_default(),
            rule: r.rule,
            day: r.day,
            read: r.read_at.is_some(),
            figures: r.summary,
        })
        .collect())
}

/// How many delivered reminders the caller has not read, counted up to one past
/// [`super::BADGE_COUNTS_TO`] (all the badge shows).
pub async fn unread_count(db: &Db, user: &SessionUser) -> Result<i64, AppError> {
    let n: Option<i64> = db
        .query("RETURN count((SELECT VALUE id FROM reminder WHERE recipient = $me AND state = 'sent' AND read_at = NONE LIMIT $enough))")
        .bind(("me", record("user", &user.id)))
        .bind(("enough", super::BADGE_COUNTS_TO + 1))
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
