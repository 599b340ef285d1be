//! Reading the ledger: lists with filters, the unit's items, the acceptance queue and
//! the item page. Everything is limited to the caller's scope.

use super::register::list_entries;
use super::{ITEM_FIELDS, ItemRow, actor_for, load_item, read_items, scope_clause};
use crate::AppError;
use crate::auth::{PartnerDept, Role, SessionUser};
use crate::db::{Db, key_of, record};
use crate::ledger::acceptance::CoSigner;
use crate::ledger::actions::{Standing, actions};
use crate::ledger::calendar::{format_date, parse_date, reverse_schedule, today, urgency};
use crate::ledger::evidence::FileKind;
use crate::ledger::{
    AttachmentView, CoSignView, DigestStepView, ExtensionView, ItemDetail, ItemFilter, ItemPage,
    ItemSummary, ListEntry, MeasureView, NotificationView, ProgressView, ReminderSent,
    TimelineEntry,
};
use chrono::{DateTime, SecondsFormat, Utc};
use std::sync::Arc;
use surrealdb::types::{RecordId, SurrealValue, Value};

pub const PAGE_SIZE: i64 = 20;

pub async fn list_categories(db: &Db) -> Result<Vec<ListEntry>, AppError> {
    list_entries(db, "category").await
}

pub async fn list_sources(db: &Db) -> Result<Vec<ListEntry>, AppError> {
    list_entries(db, "source").await
}

/// Names for codes, looked up once per list.
struct Lists {
    categories: Vec<ListEntry>,
    sources: Vec<ListEntry>,
}

impl Lists {
    /// Where the lists are kept beside the database's handle ([`Db::kept`]).
    const MEMO: &'static str = "ledger.lists";

    /// The category and source lists for these rows' codes: as kept since they were
    /// last read, or read again when a row has a code they lack. Entries are only ever
    /// added (a new one has a new code; none is renamed or removed), so lists that know
    /// every code asked for name them as reading them again would.
    async fn for_rows(db: &Db, rows: &[ItemRow]) -> Result<Arc<Lists>, AppError> {
        let slot = db.kept::<std::sync::Mutex<Option<Arc<Lists>>>>(Self::MEMO);
        let kept = slot.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(kept) = kept
            && rows.iter().all(|r| {
                Self::has(&kept.categories, &r.category) && Self::has(&kept.sources, &r.source)
            })
        {
            return Ok(kept);
        }
        let read = Arc::new(Lists {
            categories: list_categories(db).await?,
            sources: list_sources(db).await?,
        });
        *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(read.clone());
        Ok(read)
    }

    fn has(list: &[ListEntry], code: &str) -> bool {
        list.iter().any(|e| e.code == code)
    }

    fn find(list: &[ListEntry], code: &str) -> ListEntry {
        list.iter()
            .find(|e| e.code == code)
            .cloned()
            .unwrap_or(ListEntry {
                code: code.to_string(),
                name: code.to_string(),
                name_en: code.to_string(),
            })
    }
}

fn summary(
    row: &ItemRow,
    user: &SessionUser,
    lists: &Lists,
    now: DateTime<Utc>,
) -> Result<ItemSummary, AppError> {
    let status = row.status()?;
    let nature = row.nature()?;
    let today = today(now);
    let urgency = if status.is_open() {
        parse_date(&row.approved_deadline).map(|d| urgency(d, today))
    } else {
        None
    };
    let standing = Standing {
        actor: actor_for(user, row),
        extension_pending: row.extension_pending,
    };
    let mut owners: Vec<String> = Vec::new();
    for o in &row.owners {
        if !owners.contains(o) {
            owners.push(o.clone());
        }
    }
    Ok(ItemSummary {
        id: key_of(&row.id),
        number: row.number.clone(),
        unit_name: row.unit_name.clone(),
        district_name: row.district_name.clone(),
        category: Lists::find(&lists.categories, &row.category),
        source: Lists::find(&lists.sources, &row.source),
        nature,
        status,
        description: row.description.clone(),
        head_name: row.head_name.clone(),
        measure_owners: owners,
        original_deadline: row.original_deadline.clone(),
        approved_deadline: row.approved_deadline.clone(),
        urgency,
        closed_on_time: row.closed_on_time,
        next_action: actions(status, nature, standing).first().copied(),
    })
}

const FINISHED: [&str; 2] = ["closed", "withdrawn"];

/// Open items first, the nearest approved deadline first among them.
const URGENT_FIRST: &str = "ORDER BY finished, approved_deadline, number";

/// SurrealQL parameters by name.
pub(crate) type Binds = Vec<(&'static str, Value)>;

/// The WHERE clause of the ledger's filters within the caller's scope, with its binds:
/// the central ledger's page and its Excel export select the same items.
pub(crate) fn filter_clause(
    user: &SessionUser,
    filter: &ItemFilter,
    now: DateTime<Utc>,
) -> Result<(String, Binds), AppError> {
    let (scope, mut binds) = scope_clause(user)?;
    let mut conditions = vec![scope.to_string()];
    let mut add = |cond: &str, name: &'static str, value: Value| {
        conditions.push(cond.to_string());
        binds.push((name, value));
    };
    let f = |s: &String| s.trim().to_string();
    if !f(&filter.district).is_empty() {
        add(
            "district = $f_district",
            "f_district",
            record("district", &f(&filter.district)).into_value(),
        );
    }
    if !f(&filter.unit).is_empty() {
        add(
            "unit = $f_unit",
            "f_unit",
            record("unit", &f(&filter.unit)).into_value(),
        );
    }
    if !f(&filter.category).is_empty() {
        add(
            "category = $f_category",
            "f_category",
            f(&filter.category).into_value(),
        );
    }
    if !f(&filter.source).is_empty() {
        add(
            "source = $f_source",
            "f_source",
            f(&filter.source).into_value(),
        );
    }
    if !f(&filter.nature).is_empty() {
        add(
            "nature = $f_nature",
            "f_nature",
            f(&filter.nature).into_value(),
        );
    }
    match f(&filter.status).as_str() {
        "" => {}
        "open" => add(
            "status NOT IN $f_finished",
            "f_finished",
            FINISHED.map(String::from).to_vec().into_value(),
        ),
        // Every problem found: all but withdrawn registrations (as the statistics count).
        "found" => add(
            "status != $f_withdrawn",
            "f_withdrawn",
            "withdrawn".to_string().into_value(),
        ),
        s => add("status = $f_status", "f_status", s.to_string().into_value()),
    }
    if filter.overdue.trim() == "1" {
        add(
            "status NOT IN ['closed', 'withdrawn'] AND approved_deadline < $f_today",
            "f_today",
            format_date(today(now)).into_value(),
        );
    }
    match filter.on_time.trim() {
        "1" => add(
            "closed_on_time = $f_on_time",
            "f_on_time",
            true.into_value(),
        ),
        "0" => add(
            "closed_on_time = $f_on_time",
            "f_on_time",
            false.into_value(),
        ),
        _ => {}
    }
    if let Some(d) = parse_date(&filter.due_from) {
        add(
            "approved_deadline >= $f_due_from",
            "f_due_from",
            format_date(d).into_value(),
        );
    }
    if let Some(d) = parse_date(&filter.due_to) {
        add(
            "approved_deadline <= $f_due_to",
            "f_due_to",
            format_date(d).into_value(),
        );
    }
    if filter.mine.trim() == "1" {
        add(
            "registered_by = $f_me",
            "f_me",
            record("user", &user.id).into_value(),
        );
    }
    let q: String = filter.q.trim().chars().take(50).collect();
    if !q.is_empty() {
        add(
            "(string::contains(string::lowercase(description), $f_q) OR string::contains(string::lowercase(number), $f_q))",
            "f_q",
            q.to_lowercase().into_value(),
        );
    }
    Ok((conditions.join(" AND "), binds))
}

/// The central ledger: every filter, the search and the sort, one page at a time.
pub async fn list_items(
    db: &Db,
    user: &SessionUser,
    filter: &ItemFilter,
    now: DateTime<Utc>,
) -> Result<ItemPage, AppError> {
    // Who may read the ledger, and the filter's values, are checked first either way.
    filter_clause(user, filter, now)?;
    let page = filter.page.trim().parse::<i64>().unwrap_or(1).max(1);
    // A province's ledger: counted and ordered from the in-memory facts where they can.
    if let Some((total, ids)) = super::index::ordered(
        db,
        user,
        filter,
        now,
        super::index::Order::of_sort(&filter.sort),
        ((page - 1) * PAGE_SIZE) as usize,
        Some(PAGE_SIZE as usize),
    )
    .await?
    {
        let mut rows = read_items(
            db,
            &format!("SELECT {ITEM_FIELDS} FROM $ids"),
            vec![("ids", ids.clone().into_value())],
        )
        .await?;
        rows.sort_by_key(|r| ids.iter().position(|i| *i == r.id));
        return page_of(db, user, &rows, total as i64, page, now).await;
    }
    list_items_by_query(db, user, filter, now).await
}

/// [`list_items`] answered by the database alone: for what the in-memory facts cannot
/// answer, and to check that they answer the same.
pub async fn list_items_by_query(
    db: &Db,
    user: &SessionUser,
    filter: &ItemFilter,
    now: DateTime<Utc>,
) -> Result<ItemPage, AppError> {
    let (condition, binds) = filter_clause(user, filter, now)?;
    let page = filter.page.trim().parse::<i64>().unwrap_or(1).max(1);
    let order = match filter.sort.as_str() {
        "number" => "ORDER BY number DESC",
        "found" => "ORDER BY found_on DESC, number DESC",
        _ => URGENT_FIRST,
    };
    let mut count = db.query(format!(
        "SELECT count() AS n FROM item WHERE {condition} GROUP ALL"
    ));
    for (k, v) in binds.clone() {
        count = count.bind((k, v));
    }
    let total: Option<i64> = count.await?.check()?.take((0, "n"))?;
    let mut binds = binds;
    binds.push(("limit", PAGE_SIZE.into_value()));
    binds.push(("start", ((page - 1) * PAGE_SIZE).into_value()));
    let rows = read_items(
        db,
        &format!(
            "SELECT {ITEM_FIELDS}, status IN ['closed', 'withdrawn'] AS finished
                FROM item WHERE {condition} {order}
                LIMIT $limit START $start"
        ),
        binds,
    )
    .await?;
    page_of(db, user, &rows, total.unwrap_or(0), page, now).await
}

async fn page_of(
    db: &Db,
    user: &SessionUser,
    rows: &[ItemRow],
    total: i64,
    page: i64,
    now: DateTime<Utc>,
) -> Result<ItemPage, AppError> {
    let lists = Lists::for_rows(db, rows).await?;
    Ok(ItemPage {
        items: rows
            .iter()
            .map(|r| summary(r, user, &lists, now))
            .collect::<Result<_, _>>()?,
        total,
        page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
    })
}

/// The unit's open items, most urgent first (我的整改事项). Unit roles only.
pub async fn unit_items(
    db: &Db,
    user: &SessionUser,
    now: DateTime<Utc>,
) -> Result<Vec<ItemSummary>, AppError> {
    if !matches!(user.role, Role::UnitHead | Role::UnitHandler) {
        return Err(AppError::Forbidden);
    }
    // One query through the unit's index, without the count a page needs.
    let (scope, binds) = scope_clause(user)?;
    let rows = read_items(
        db,
        &format!(
            "SELECT {ITEM_FIELDS}, status IN ['closed', 'withdrawn'] AS finished
                FROM item WHERE {scope} AND status NOT IN ['closed', 'withdrawn'] {URGENT_FIRST}"
        ),
        binds,
    )
    .await?;
    let lists = Lists::for_rows(db, &rows).await?;
    rows.iter().map(|r| summary(r, user, &lists, now)).collect()
}

/// Closure requests waiting for the caller's department to co-sign.
pub async fn acceptance_queue(
    db: &Db,
    user: &SessionUser,
    now: DateTime<Utc>,
) -> Result<Vec<ItemSummary>, AppError> {
    let me = CoSigner::of(user).ok_or(AppError::Forbidden)?;
    let (scope, binds) = scope_clause(user)?;
    let mut binds = binds;
    binds.push(("me", me.as_str().to_string().into_value()));
    // A return sends the item back, so every co-signature of a waiting request's round
    // is a pass: those the caller already gave are left out here, from the passes
    // `read_items` reads through their index (a subquery on `$parent.id` read the whole
    // acceptance table for every item).
    let rows: Vec<ItemRow> = read_items(
        db,
        &format!(
            "SELECT {ITEM_FIELDS}, status IN ['closed', 'withdrawn'] AS finished
                FROM item
                WHERE {scope} AND status = 'closure_requested' AND $me IN co_signers
                {URGENT_FIRST}"
        ),
        binds,
    )
    .await?
    .into_iter()
    .filter(|r| !r.passed().contains(&me))
    .collect();
    let lists = Lists::for_rows(db, &rows).await?;
    rows.iter().map(|r| summary(r, user, &lists, now)).collect()
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct MeasureRow {
    id: RecordId,
    what: String,
    due: String,
    owner: String,
    done_on: Option<String>,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct DigestRow {
    period: String,
    target: i64,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct AttachmentRow {
    id: RecordId,
    progress: Option<RecordId>,
    kind: String,
    file_name: String,
    size: i64,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct ProgressRow {
    id: RecordId,
    at: DateTime<Utc>,
    author_name: String,
    text: String,
    remaining: Option<i64>,
    reasons: String,
    next_steps: String,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct ExtensionRow {
    id: RecordId,
    reason: String,
    new_deadline: String,
    at: DateTime<Utc>,
    decision: Option<String>,
    opinion: Option<String>,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct AcceptanceRow {
    co_signer: String,
    passed: bool,
    opinion: String,
    by_name: String,
    at: DateTime<Utc>,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct NotificationRow {
    dept: String,
    note: String,
    sent_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct EventRow {
    seq: i64,
    at: String,
    actor_name: String,
    action: String,
    after: String,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct ReminderRow {
    rule: String,
    day: String,
    recipient_name: String,
    sent_at: Option<DateTime<Utc>>,
    read_at: Option<DateTime<Utc>>,
}

/// The changed values of an event, flattened for the timeline.
fn detail_of(after: &str) -> Vec<(String, String)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(after)
    else {
        return Vec::new();
    };
    map.into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Array(a) => format!("{} ×", a.len()),
                other => other.to_string(),
            };
            (k, text)
        })
        .collect()
}

/// Everything on the item page, for a caller who may see the item.
pub async fn get_item(
    db: &Db,
    user: &SessionUser,
    id: &str,
    now: DateTime<Utc>,
) -> Result<ItemDetail, AppError> {
    let row = load_item(db, user, id).await?;
    let lists = Lists::for_rows(db, std::slice::from_ref(&row)).await?;
    let summary = summary(&row, user, &lists, now)?;
    let mut response = db
        .query(
            "SELECT id, what, due, owner, done_on, seq FROM measure WHERE item = $item ORDER BY seq;
             SELECT period, target FROM digest_step WHERE item = $item ORDER BY period;
             SELECT id, at, author_name, text, remaining, reasons, next_steps FROM progress WHERE item = $item ORDER BY at DESC;
             SELECT id, progress, kind, file_name, size, at FROM attachment WHERE item = $item ORDER BY at;
             SELECT id, reason, new_deadline, at, decision, opinion FROM extension WHERE item = $item ORDER BY at DESC;
             SELECT co_signer, passed, opinion, by_name, at FROM acceptance WHERE item = $item AND round = $round ORDER BY at;
             SELECT dept, note, sent_at, read_at FROM notification WHERE item = $item ORDER BY sent_at DESC;
             SELECT seq, at, actor_name, action, after FROM event WHERE item = $item ORDER BY seq;
             SELECT rule, day, recipient.display_name AS recipient_name, sent_at, read_at FROM reminder
                WHERE item = $item AND state = 'sent' ORDER BY sent_at DESC LIMIT 100;",
        )
        .bind(("item", row.id.clone()))
        .bind(("round", row.acceptance_round))
        .await?
        .check()?;
    let measures: Vec<MeasureRow> = response.take(0)?;
    let digest: Vec<DigestRow> = response.take(1)?;
    let progress: Vec<ProgressRow> = response.take(2)?;
    let attachments: Vec<AttachmentRow> = response.take(3)?;
    let extensions: Vec<ExtensionRow> = response.take(4)?;
    let acceptance: Vec<AcceptanceRow> = response.take(5)?;
    let notifications: Vec<NotificationRow> = response.take(6)?;
    let events: Vec<EventRow> = response.take(7)?;
    let reminders: Vec<ReminderRow> = response.take(8)?;
    let deliveries = crate::reminders::dispatch::item_deliveries(db, user, &row.id).await?;
    let checks = crate::campaigns::service::item_checks(db, &row.id).await?;

    let status = summary.status;
    let nature = summary.nature;
    let standing = Standing {
        actor: actor_for(user, &row),
        extension_pending: row.extension_pending,
    };
    let mut co_signs: Vec<CoSignView> = row
        .co_signers()
        .into_iter()
        .map(|c| CoSignView {
            co_signer: c,
            passed: None,
            opinion: String::new(),
            by_name: String::new(),
            at: String::new(),
        })
        .collect();
    for a in acceptance {
        if let Some(view) = co_signs
            .iter_mut()
            .find(|v| Some(v.co_signer) == CoSigner::parse(&a.co_signer))
        {
            view.passed = Some(a.passed);
            view.opinion = a.opinion;
            view.by_name = a.by_name;
            view.at = stamp(a.at);
        }
    }
    let today = today(now);
    let proposals = parse_date(&row.approved_deadline)
        .map(|deadline| {
            (1..=5)
                .map(|n| {
                    reverse_schedule(deadline, today, n)
                        .into_iter()
                        .map(format_date)
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ItemDetail {
        legal_basis: row.legal_basis.clone(),
        quantity_baseline: row.quantity_baseline,
        quantity_remaining: row.quantity_remaining,
        found_on: row.found_on.clone(),
        found_in: row.found_in.clone(),
        supervising_office: row.supervising_office.clone(),
        handler_name: row.handler_name.clone(),
        handler_phone: row.handler_phone.clone(),
        registered_at: stamp(row.registered_at),
        plan_returned_reason: row.plan_returned_reason.clone(),
        next_review: row.next_review.clone(),
        closure_note: row.closure_note.clone(),
        closed_on: row.closed_on.clone(),
        withdrawn_reason: row.withdrawn_reason.clone(),
        accountability: row.accountability.clone(),
        recurrence_of: row
            .recurrence_of
            .as_ref()
            .map(|r| (key_of(r), row.recurrence_number.clone().unwrap_or_default())),
        measures: measures
            .into_iter()
            .map(|m| MeasureView {
                id: key_of(&m.id),
                what: m.what,
                due: m.due,
                owner: m.owner,
                done_on: m.done_on,
            })
            .collect(),
        digest: digest
            .into_iter()
            .map(|d| DigestStepView {
                period: d.period,
                target: d.target,
            })
            .collect(),
        progress: progress
            .into_iter()
            .map(|p| ProgressView {
                at: stamp(p.at),
                author_name: p.author_name,
                text: p.text,
                remaining: p.remaining,
                reasons: p.reasons,
                next_steps: p.next_steps,
                attachments: attachments
                    .iter()
                    .filter(|a| a.progress.as_ref() == Some(&p.id))
                    .filter_map(|a| {
                        Some(AttachmentView {
                            id: key_of(&a.id),
                            kind: FileKind::parse(&a.kind)?,
                            file_name: a.file_name.clone(),
                            size: a.size,
                        })
                    })
                    .collect(),
            })
            .collect(),
        extensions: extensions
            .into_iter()
            .map(|e| ExtensionView {
                id: key_of(&e.id),
                reason: e.reason,
                new_deadline: e.new_deadline,
                at: stamp(e.at),
                approved: e.decision.map(|d| d == "approved"),
                opinion: e.opinion,
            })
            .collect(),
        acceptance: co_signs,
        notifications: notifications
            .into_iter()
            .filter_map(|n| {
                Some(NotificationView {
                    dept: PartnerDept::parse(&n.dept)?,
                    note: n.note,
                    sent_at: stamp(n.sent_at),
                    read_at: n.read_at.map(stamp),
                })
            })
            .collect(),
        timeline: events
            .into_iter()
            .map(|e| TimelineEntry {
                seq: e.seq,
                at: e.at,
                actor_name: e.actor_name,
                action: e.action,
                detail: detail_of(&e.after),
            })
            .collect(),
        reminders: reminders
            .into_iter()
            .map(|r| ReminderSent {
                rule: r.rule,
                day: r.day,
                recipient_name: r.recipient_name,
                sent_at: r.sent_at.map(stamp).unwrap_or_default(),
                read: r.read_at.is_some(),
            })
            .collect(),
        deliveries,
        checks,
        actions: actions(status, nature, standing),
        proposals,
        summary,
    })
}

/// An attachment the caller may download: its item must be in the caller's scope.
pub async fn attachment_for_download(
    db: &Db,
    user: &SessionUser,
    id: &str,
) -> Result<(String, FileKind, String), AppError> {
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Row {
        item: RecordId,
        sha256: String,
        kind: String,
        file_name: String,
    }
    let id = id.trim();
    if id.is_empty() || id.len() > 64 {
        return Err(AppError::NotFound);
    }
    let row: Option<Row> = db
        .query("SELECT item, sha256, kind, file_name FROM ONLY $id")
        .bind(("id", record("attachment", id)))
        .await?
        .check()?
        .take(0)?;
    let row = row.ok_or(AppError::NotFound)?;
    // Scope is the item's: not visible means not found.
    load_item(db, user, &key_of(&row.item)).await?;
    let kind =
        FileKind::parse(&row.kind).ok_or_else(|| AppError::internal("stored kind unknown"))?;
    Ok((row.sha256, kind, row.file_name))
}
