//! The ledger's filters answered from the statistics' in-memory facts (`stats::facts`).
//! At a province's scale (a million items) the database takes seconds to count the
//! items a filter selects and sort them for one page; the facts do it in milliseconds,
//! and the database then reads only the page's items (or, for the Excel export, the
//! selected items in batches, each batch checked again against the filter's full WHERE).
//!
//! Only where the facts know everything the filter asks: not for a search, "registered by
//! me", or a partner department's shared items, nor for a unit's own list (its index in
//! the database is quicker). Exact as of the catch-up each call makes first.

use crate::AppError;
use crate::auth::{Scope, SessionUser};
use crate::db::{Db, record};
use crate::ledger::ItemFilter;
use crate::ledger::calendar::{parse_date, today};
use crate::stats::facts::{self, Facts};
use crate::stats::figures::Standing;
use chrono::{DateTime, Utc};
use std::cmp::Ordering;
use surrealdb::types::RecordId;

/// The orders of the ledger's lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Order {
    /// Open items first, the nearest approved deadline first among them, then by number.
    Urgent,
    /// Newest number first.
    NumberDesc,
    /// Latest found first, then newest number.
    FoundDesc,
    /// By number (the export).
    Number,
}

impl Order {
    pub(crate) fn of_sort(sort: &str) -> Self {
        match sort {
            "number" => Order::NumberDesc,
            "found" => Order::FoundDesc,
            _ => Order::Urgent,
        }
    }
}

/// Whether the facts can answer `filter` for `user`.
fn covered(user: &SessionUser, filter: &ItemFilter) -> bool {
    matches!(user.scope, Scope::Everything | Scope::District { .. })
        && filter.q.trim().is_empty()
        && filter.mine.trim() != "1"
}

/// A number the facts gave a name, or `None` when the name is unknown (so nothing
/// matches it), for a filter value (`Some(None)`: not filtered).
fn wanted(names: &facts::Interner, value: &str) -> Option<Option<u32>> {
    let value = value.trim();
    (!value.is_empty()).then(|| names.get(value))
}

/// Positions (in `facts`) of the items `filter` selects within `user`'s scope.
fn select(
    store: &Facts,
    user: &SessionUser,
    filter: &ItemFilter,
    now: DateTime<Utc>,
) -> Vec<usize> {
    let scope = match &user.scope {
        Scope::District { id, .. } => Some(store.districts.get(id)),
        _ => None,
    };
    let district = wanted(&store.districts, &filter.district);
    let unit = wanted(&store.units, &filter.unit);
    let category = wanted(&store.categories, &filter.category);
    let source = wanted(&store.sources, &filter.source);
    let nature = wanted(&store.natures, &filter.nature);
    let status = filter.status.trim();
    let exact_status = match status {
        "" | "open" | "found" => None,
        s => Some(store.status_names.get(s)),
    };
    let day = today(now);
    let overdue = filter.overdue.trim() == "1";
    let on_time = match filter.on_time.trim() {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    };
    let due_from = parse_date(&filter.due_from);
    let due_to = parse_date(&filter.due_to);
    let is = |want: Option<Option<u32>>, have: u32| want.is_none_or(|w| w == Some(have));
    store
        .facts
        .iter()
        .enumerate()
        .filter(|(i, f)| {
            scope.is_none_or(|d| d == Some(f.district))
                && is(district, f.district)
                && is(unit, f.unit)
                && is(category, f.category)
                && is(source, f.source)
                && is(nature, f.nature)
                && match status {
                    "" => true,
                    "open" => f.standing == Standing::Open,
                    "found" => f.standing != Standing::Withdrawn,
                    _ => exact_status.is_some_and(|s| s == Some(store.statuses[*i])),
                }
                && (!overdue
                    || (f.standing == Standing::Open
                        && f.approved_deadline.is_some_and(|d| d < day)))
                && on_time.is_none_or(|t| f.closed_on_time == Some(t))
                && due_from.is_none_or(|d| f.approved_deadline.is_some_and(|a| a >= d))
                && due_to.is_none_or(|d| f.approved_deadline.is_some_and(|a| a <= d))
        })
        .map(|(i, _)| i)
        .collect()
}

fn compare(store: &Facts, order: Order, a: usize, b: usize) -> Ordering {
    let (fa, fb) = (&store.facts[a], &store.facts[b]);
    let number = || store.numbers.get(a).cmp(store.numbers.get(b));
    match order {
        Order::Urgent => {
            let finished = |f: &crate::stats::figures::Fact| f.standing != Standing::Open;
            finished(fa)
                .cmp(&finished(fb))
                .then(fa.approved_deadline.cmp(&fb.approved_deadline))
                .then_with(number)
        }
        Order::NumberDesc => number().reverse(),
        Order::FoundDesc => fb
            .found_on
            .cmp(&fa.found_on)
            .then_with(|| number().reverse()),
        Order::Number => number(),
    }
}

/// The items `filter` selects for `user`, in `order`: how many there are, and the record
/// ids of those from `start` on (at most `len`; all when `len` is `None`). `None` when the
/// facts cannot answer the filter.
pub(crate) async fn ordered(
    db: &Db,
    user: &SessionUser,
    filter: &ItemFilter,
    now: DateTime<Utc>,
    order: Order,
    start: usize,
    len: Option<usize>,
) -> Result<Option<(usize, Vec<RecordId>)>, AppError> {
    if !covered(user, filter) {
        return Ok(None);
    }
    let store = facts::current(db).await?;
    let mut hits = select(&store, user, filter, now);
    let total = hits.len();
    let end = len.map_or(total, |l| (start + l).min(total));
    if start >= end {
        return Ok(Some((total, Vec::new())));
    }
    // Only the first `end` need ordering.
    if end < total {
        hits.select_nth_unstable_by(end - 1, |a, b| compare(&store, order, *a, *b));
        hits.truncate(end);
    }
    hits.sort_by(|a, b| compare(&store, order, *a, *b));
    let ids = hits[start..end]
        .iter()
        .map(|&i| record("item", store.keys.get(i)))
        .collect();
    Ok(Some((total, ids)))
}
