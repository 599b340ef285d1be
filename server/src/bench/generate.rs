//! A synthetic province for the benchmark: districts, units, their heads, and a ledger of
//! items in every state, with their measures and the registration of each in the
//! hash-chained history. Written
//! in large batches straight into a fresh database; the numbers are deterministic, so two
//! runs with the same sizes build the same ledger.

use app::db::{Db, record};
use app::ledger::chain::{EventContent, GENESIS, event_hash};
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use surrealdb::types::{RecordId, SurrealValue};

/// Items and events written per transaction.
const BATCH: usize = 2_000;

/// The password of every generated account.
pub const PASSWORD: &str = "Bench-pass-2026";

/// One item in ten comes from this source: the export is measured on exactly those.
pub const EXPORT_SOURCE: &str = "approval_follow_up";
/// One item in a thousand mentions this, for the full-text search.
pub const SEARCH_WORDS: &str = "临时机构";

const CATEGORIES: [&str; 6] = [
    "over_authority",
    "excess_leaders",
    "invented_titles",
    "over_establishment",
    "irregular_hiring",
    "not_implemented",
];
const OTHER_SOURCES: [&str; 6] = [
    "inspection_tour",
    "selection_check",
    "staffing_check",
    "look_back",
    "on_site",
    "lead_transfer",
];
const OPEN_STATES: [&str; 7] = [
    "registered",
    "issued",
    "acknowledged",
    "plan_review",
    "in_rectification",
    "in_rectification",
    "closure_requested",
];

/// The sizes of the province.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub items: usize,
    pub units: usize,
    pub districts: usize,
}

pub fn district_key(i: usize) -> String {
    format!("d{i:03}")
}
pub fn unit_key(i: usize) -> String {
    format!("u{i:06}")
}
pub fn unit_head(i: usize) -> String {
    format!("head{i:06}")
}
pub fn district_office(i: usize) -> String {
    format!("office{i:03}")
}
pub const CENTRAL: &str = "central";

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct District {
    id: RecordId,
    code: String,
    name: String,
    name_en: String,
    sort: i64,
    created_at: DateTime<Utc>,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Unit {
    id: RecordId,
    name: String,
    district: RecordId,
    created_at: DateTime<Utc>,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct User {
    id: RecordId,
    username: String,
    display_name: String,
    password_hash: String,
    role: String,
    scope_district: Option<RecordId>,
    scope_unit: Option<RecordId>,
    created_at: DateTime<Utc>,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Item {
    id: RecordId,
    number: String,
    unit: RecordId,
    district: RecordId,
    source: String,
    category: String,
    nature: String,
    description: String,
    quantity_baseline: Option<i64>,
    quantity_remaining: Option<i64>,
    found_on: String,
    found_in: String,
    original_deadline: String,
    approved_deadline: String,
    head_name: String,
    handler_name: String,
    handler_phone: String,
    status: String,
    registered_by: RecordId,
    registered_role: String,
    registered_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    co_signers: Vec<String>,
    acceptance_round: i64,
    closed_on: Option<String>,
    closed_on_time: Option<bool>,
    withdrawn_reason: Option<String>,
    shared_with: Vec<String>,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Event {
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

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Measure {
    item: RecordId,
    seq: i64,
    what: String,
    due: String,
    owner: String,
    done_on: Option<String>,
}

/// The plan of an item past its plan's review: two measures, due between the day it was
/// found and its deadline, done when the item is closed or waiting for acceptance, the
/// first also when its day has passed.
fn measures(item: &Item, today: NaiveDate) -> Vec<Measure> {
    if !matches!(
        item.status.as_str(),
        "in_rectification" | "closure_requested" | "closed"
    ) {
        return Vec::new();
    }
    let (Some(found), Some(deadline)) = (
        app::ledger::calendar::parse_date(&item.found_on),
        app::ledger::calendar::parse_date(&item.approved_deadline),
    ) else {
        return Vec::new();
    };
    let finished = item.status != "in_rectification";
    [(1, (deadline - found) / 2), (2, deadline - found)]
        .into_iter()
        .map(|(seq, after)| {
            let due = found + after;
            let done = finished || (seq == 1 && due < today);
            Measure {
                item: item.id.clone(),
                seq,
                what: format!("措施{seq}：清理超出核定的人员和职数"),
                due: day(due),
                owner: item.head_name.clone(),
                done_on: done.then(|| day(due.min(today))),
            }
        })
        .collect()
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Item `i` of the ledger, as of `today`. About half are closed (four in five of those
/// on time), a few withdrawn, the rest open in every step, found within the last months.
fn item(i: usize, sizes: Sizes, today: NaiveDate, now: DateTime<Utc>) -> Item {
    let unit = i % sizes.units;
    let district = unit % sizes.districts;
    let roll = (i * 37) % 100;
    let (status, found_back) = match roll {
        0..=54 => ("closed", 60 + (i * 7919) % 700),
        55..=56 => ("withdrawn", (i * 7919) % 700),
        _ => (OPEN_STATES[i % OPEN_STATES.len()], (i * 7919) % 240),
    };
    let found = today - Duration::days(found_back as i64);
    let original = found + Duration::days(30 + (i % 150) as i64);
    let approved = if i.is_multiple_of(20) {
        original + Duration::days(30)
    } else {
        original
    };
    let closed_on = (status == "closed").then(|| {
        let late = i64::from(i.is_multiple_of(10)) * 15;
        (original - Duration::days(((i * 13) % 25) as i64) + Duration::days(late))
            .clamp(found, today)
    });
    let source = if i.is_multiple_of(10) {
        EXPORT_SOURCE
    } else {
        OTHER_SOURCES[(i / 10) % OTHER_SOURCES.len()]
    };
    let category = CATEGORIES[(i / 3) % CATEGORIES.len()];
    let policy = i.is_multiple_of(9);
    let words = if i % 1000 == 7 {
        SEARCH_WORDS
    } else {
        "内设机构"
    };
    Item {
        id: record("item", &format!("i{i:07}")),
        number: format!("B{}-{i:07}", found.format("%Y")),
        unit: record("unit", &unit_key(unit)),
        district: record("district", &district_key(district)),
        source: source.into(),
        category: category.into(),
        nature: if policy { "policy_caused" } else { "violation" }.into(),
        description: format!(
            "单位{unit}在{words}设置和人员配备上存在问题：超出核定数{}名，需按规定整改到位。",
            1 + i % 7
        ),
        quantity_baseline: policy.then_some(1 + (i % 7) as i64),
        quantity_remaining: policy.then_some((i % 3) as i64),
        found_on: day(found),
        found_in: "机构编制监督检查".into(),
        original_deadline: day(original),
        approved_deadline: day(approved),
        head_name: format!("负责人{}", unit % 1000),
        handler_name: format!("经办人{}", unit % 997),
        handler_phone: format!("1390000{:04}", unit % 10_000),
        status: status.into(),
        registered_by: record("user", CENTRAL),
        registered_role: "central_office".into(),
        registered_at: now,
        updated_at: now,
        co_signers: Vec::new(),
        acceptance_round: 0,
        closed_on: closed_on.map(day),
        closed_on_time: closed_on.map(|c| c <= original),
        withdrawn_reason: (status == "withdrawn").then(|| "重复登记".to_string()),
        shared_with: Vec::new(),
    }
}

/// Writes the province into `db` (which must be empty of ledger data). Progress goes to
/// standard error; returns the number of history events written.
pub async fn generate(db: &Db, sizes: Sizes, now: DateTime<Utc>) -> anyhow::Result<i64> {
    let today = app::ledger::calendar::today(now);
    let districts: Vec<District> = (0..sizes.districts)
        .map(|i| District {
            id: record("district", &district_key(i)),
            code: district_key(i),
            name: format!("第{i}区"),
            name_en: format!("District {i}"),
            sort: i as i64,
            created_at: now,
        })
        .collect();
    db.query("INSERT INTO district $rows")
        .bind(("rows", districts))
        .await?
        .check()?;
    for chunk in (0..sizes.units).collect::<Vec<_>>().chunks(10_000) {
        let units: Vec<Unit> = chunk
            .iter()
            .map(|&i| Unit {
                id: record("unit", &unit_key(i)),
                name: format!("单位{i}"),
                district: record("district", &district_key(i % sizes.districts)),
                created_at: now,
            })
            .collect();
        db.query("INSERT INTO unit $rows")
            .bind(("rows", units))
            .await?
            .check()?;
    }
    // One password hash for every account: argon2 is slow on purpose.
    let hash = app::auth::service::hash_password(PASSWORD.to_string())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut users = vec![User {
        id: record("user", CENTRAL),
        username: CENTRAL.into(),
        display_name: "市编办".into(),
        password_hash: hash.clone(),
        role: "central_office".into(),
        scope_district: None,
        scope_unit: None,
        created_at: now,
    }];
    users.extend((0..sizes.districts).map(|i| User {
        id: record("user", &district_office(i)),
        username: district_office(i),
        display_name: format!("第{i}区编办"),
        password_hash: hash.clone(),
        role: "district_office".into(),
        scope_district: Some(record("district", &district_key(i))),
        scope_unit: None,
        created_at: now,
    }));
    db.query("INSERT INTO user $rows")
        .bind(("rows", users))
        .await?
        .check()?;
    for chunk in (0..sizes.units).collect::<Vec<_>>().chunks(10_000) {
        let heads: Vec<User> = chunk
            .iter()
            .map(|&i| User {
                id: record("user", &unit_head(i)),
                username: unit_head(i),
                display_name: format!("单位{i}负责人"),
                password_hash: hash.clone(),
                role: "unit_head".into(),
                scope_district: None,
                scope_unit: Some(record("unit", &unit_key(i))),
                created_at: now,
            })
            .collect();
        db.query("INSERT INTO user $rows")
            .bind(("rows", heads))
            .await?
            .check()?;
    }
    let at = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut prev = GENESIS.to_string();
    let mut seq: i64 = 0;
    let started = std::time::Instant::now();
    for start in (0..sizes.items).step_by(BATCH) {
        let end = (start + BATCH).min(sizes.items);
        let items: Vec<Item> = (start..end).map(|i| item(i, sizes, today, now)).collect();
        let plans: Vec<Measure> = items.iter().flat_map(|i| measures(i, today)).collect();
        let mut events = Vec::with_capacity(items.len());
        for it in &items {
            seq += 1;
            let after =
                serde_json::json!({ "number": it.number, "status": "registered" }).to_string();
            let key = app::db::key_of(&it.id);
            let hash = event_hash(&EventContent {
                seq,
                item: &key,
                actor: CENTRAL,
                at: &at,
                action: "register",
                before: "null",
                after: &after,
                prev_hash: &prev,
            });
            events.push(Event {
                seq,
                item: it.id.clone(),
                actor: CENTRAL.into(),
                actor_name: "市编办".into(),
                at: at.clone(),
                action: "register".into(),
                before: "null".into(),
                after,
                prev_hash: std::mem::replace(&mut prev, hash.clone()),
                hash,
            });
        }
        db.query(
            "BEGIN TRANSACTION;
             INSERT INTO item $items;
             INSERT INTO measure $plans;
             INSERT INTO event $events;
             UPSERT chain_head:tip SET seq = $seq, hash = $hash;
             COMMIT TRANSACTION;",
        )
        .bind(("items", items))
        .bind(("plans", plans))
        .bind(("events", events))
        .bind(("seq", seq))
        .bind(("hash", prev.clone()))
        .await?
        .check()?;
        if end % 100_000 < BATCH || end == sizes.items {
            let rate = end as f64 / started.elapsed().as_secs_f64().max(0.001);
            eprintln!("  {end} items written ({rate:.0} per second)");
        }
    }
    Ok(seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_mixes_states_and_one_in_ten_is_exported() {
        let sizes = Sizes {
            items: 10_000,
            units: 1_000,
            districts: 10,
        };
        let now = Utc::now();
        let today = app::ledger::calendar::today(now);
        let items: Vec<Item> = (0..sizes.items)
            .map(|i| item(i, sizes, today, now))
            .collect();
        let count = |f: &dyn Fn(&Item) -> bool| items.iter().filter(|i| f(i)).count();
        assert_eq!(count(&|i| i.source == EXPORT_SOURCE), 1_000);
        assert_eq!(count(&|i| i.description.contains(SEARCH_WORDS)), 10);
        let closed = count(&|i| i.status == "closed");
        assert!((5_000..6_000).contains(&closed), "{closed}");
        let late = count(&|i| i.closed_on_time == Some(false));
        assert!(late > 0 && late < closed / 2, "{late}");
        let overdue = count(&|i| {
            !matches!(i.status.as_str(), "closed" | "withdrawn") && i.approved_deadline < day(today)
        });
        assert!(overdue > 0, "some open items are overdue");
        let plans: Vec<Measure> = items.iter().flat_map(|i| measures(i, today)).collect();
        assert!(plans.len() > items.len() / 2, "{}", plans.len());
        assert!(
            plans.iter().any(|m| m.done_on.is_none()),
            "some measures are open"
        );
        for i in &items {
            assert!(i.found_on <= i.original_deadline);
            for m in measures(i, today) {
                assert!(m.due >= i.found_on && m.due <= i.approved_deadline);
            }
            if let Some(c) = &i.closed_on {
                assert!(*c >= i.found_on && *c <= day(today));
            }
        }
    }
}
