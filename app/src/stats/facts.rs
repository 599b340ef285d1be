//! The facts the dashboard counts, kept in memory and caught up with the ledger (server
//! only). A million items would take seconds to read on every view; instead each server
//! reads them once, then on every view only the items written since (the database stamps
//! `touched_at` on every write of an item, indexed). The count itself is pure
//! (`figures`) and takes a few milliseconds over a million small facts.
//!
//! One store per database (databases are told apart by the key the migration gives each),
//! so several servers on one SurrealDB each keep their own, and tests on separate
//! in-memory databases never share one.

use super::figures::{self, Fact, Standing, Tally};
use crate::AppError;
use crate::db::{Db, key_of};
use crate::ledger::calendar::parse_date;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use surrealdb::types::{RecordId, SurrealValue};

/// Items written this long before the last catch-up are read again: a transaction that
/// stamped its items earlier but committed later is still caught. (A thousand-row import
/// commits in about a second.)
pub const OVERLAP_SECONDS: i64 = 30;

/// Districts read at once when the facts are first read.
const READ_AHEAD: usize = 2;

/// Numbers for names: the first seen is 0.
#[derive(Default)]
pub struct Interner {
    numbers: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    pub fn number(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.numbers.get(name) {
            return n;
        }
        let n = self.names.len() as u32;
        self.names.push(name.to_string());
        self.numbers.insert(name.to_string(), n);
        n
    }
    pub fn name(&self, n: u32) -> &str {
        self.names.get(n as usize).map(String::as_str).unwrap_or("")
    }
    pub fn get(&self, name: &str) -> Option<u32> {
        self.numbers.get(name).copied()
    }
}

/// Short texts one after the other in one string, each found by its position: a million
/// keys in a few allocations, not a million (a `String` is 24 bytes and a heap block
/// besides, about 60 bytes for a 20-character key).
#[derive(Default)]
pub struct Texts {
    text: String,
    /// Where each text starts in `text`, and how long it is.
    spans: Vec<(usize, usize)>,
}

impl Texts {
    pub fn push(&mut self, s: &str) {
        self.spans.push((self.text.len(), s.len()));
        self.text.push_str(s);
    }
    /// The `i`th text; "" past the end.
    pub fn get(&self, i: usize) -> &str {
        self.spans
            .get(i)
            .and_then(|&(start, len)| self.text.get(start..start + len))
            .unwrap_or("")
    }
    /// Replaces the `i`th text (a changed one is written anew at the end: texts change
    /// seldom, so what it held before is left).
    pub fn set(&mut self, i: usize, s: &str) {
        if self.get(i) == s || i >= self.spans.len() {
            return;
        }
        self.spans[i] = (self.text.len(), s.len());
        self.text.push_str(s);
    }
    pub fn len(&self) -> usize {
        self.spans.len()
    }
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
    fn reserve(&mut self, texts: usize, bytes: usize) {
        self.spans.reserve_exact(texts);
        self.text.reserve_exact(bytes);
    }
}

/// No position ([`Positions`]).
const NONE: u32 = u32::MAX;

/// Item key → position in the facts, by the key's 64-bit hash; the key itself is read
/// from the facts' [`Texts`], so it is kept once. Two keys whose hashes meet are chained.
#[derive(Default)]
struct Positions<S = std::hash::RandomState> {
    hasher: S,
    /// The latest position of each hash.
    first: HashMap<u64, u32>,
    /// Beside each position: the one before it with the same hash, or [`NONE`].
    next: Vec<u32>,
}

impl<S: std::hash::BuildHasher> Positions<S> {
    fn hash(&self, key: &str) -> u64 {
        self.hasher.hash_one(key)
    }
    fn find(&self, keys: &Texts, key: &str) -> Option<usize> {
        let mut at = self.first.get(&self.hash(key)).copied().unwrap_or(NONE);
        while at != NONE {
            if keys.get(at as usize) == key {
                return Some(at as usize);
            }
            at = self.next.get(at as usize).copied().unwrap_or(NONE);
        }
        None
    }
    /// `key` is at `at`, the next position (`next.len()`).
    fn add(&mut self, key: &str, at: usize) {
        let at = u32::try_from(at).unwrap_or(NONE);
        let before = self.first.insert(self.hash(key), at).unwrap_or(NONE);
        self.next.push(before);
    }
    fn reserve(&mut self, more: usize) {
        self.first.reserve(more);
        self.next.reserve_exact(more);
    }
}

/// The facts of every item, and what their numbers name.
#[derive(Default)]
pub struct Facts {
    pub facts: Vec<Fact>,
    /// Beside each fact, for the ledger's lists (`ledger::service::index`): the item's
    /// record key, ledger number and status.
    pub keys: Texts,
    pub numbers: Texts,
    pub statuses: Vec<u32>,
    /// Item key → position in `facts`.
    position: Positions,
    pub status_names: Interner,
    pub districts: Interner,
    pub units: Interner,
    pub categories: Interner,
    pub sources: Interner,
    pub natures: Interner,
    /// The database's clock to read again from; `None`: never read.
    since: Option<DateTime<Utc>>,
    /// The whole city's tally, counted once a day and then kept up to date by `put`.
    city: Option<Tally>,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Row {
    id: RecordId,
    number: String,
    district: RecordId,
    unit: RecordId,
    category: String,
    source: String,
    nature: String,
    status: String,
    found_on: String,
    approved_deadline: String,
    closed_on: Option<String>,
    closed_on_time: Option<bool>,
}

const FIELDS: &str = "id, number, district, unit, category, source, nature, status, found_on,
    approved_deadline, closed_on, closed_on_time";

impl Facts {
    fn put(&mut self, r: Row) {
        let fact = Fact {
            district: self.districts.number(&key_of(&r.district)),
            unit: self.units.number(&key_of(&r.unit)),
            category: self.categories.number(&r.category),
            source: self.sources.number(&r.source),
            nature: self.natures.number(&r.nature),
            standing: Standing::of(&r.status),
            found_on: parse_date(&r.found_on),
            approved_deadline: parse_date(&r.approved_deadline),
            closed_on: r.closed_on.as_deref().and_then(parse_date),
            closed_on_time: r.closed_on_time,
        };
        let status = self.status_names.number(&r.status);
        let key = key_of(&r.id);
        let known = self.position.find(&self.keys, &key);
        if let Some(city) = &mut self.city {
            if let Some(at) = known {
                city.remove(&self.facts[at]);
            }
            city.add(&fact);
        }
        match known {
            Some(at) => {
                self.facts[at] = fact;
                self.numbers.set(at, &r.number);
                self.statuses[at] = status;
            }
            None => {
                self.position.add(&key, self.facts.len());
                self.facts.push(fact);
                self.keys.push(&key);
                self.numbers.push(&r.number);
                self.statuses.push(status);
            }
        }
    }

    /// Room for `more` facts besides those held, their keys and numbers as long on
    /// average as those held (or as `like`'s when none is): the first reading grows each
    /// list a few times, not by doubling (a list that grows holds its old and its new
    /// copy at once).
    fn expect(&mut self, more: usize, like: &Row) {
        let n = self.facts.len();
        let (key_bytes, number_bytes) = match n {
            0 => (key_of(&like.id).len(), like.number.len()),
            n => (self.keys.text.len() / n, self.numbers.text.len() / n),
        };
        self.facts.reserve_exact(more);
        self.statuses.reserve_exact(more);
        self.keys.reserve(more, more * (key_bytes + 1));
        self.numbers.reserve(more, more * (number_bytes + 1));
        self.position.reserve(more);
    }

    /// Counts the whole city on `today` unless it is counted already (then `put` has kept
    /// it up to date); [`Facts::city`] gives the tally.
    pub fn count_city(&mut self, today: NaiveDate, months: u32) {
        if self.city.as_ref().is_some_and(|t| t.today() != today) {
            self.city = None;
        }
        let facts = &self.facts;
        self.city
            .get_or_insert_with(|| figures::tally(facts, today, months));
    }

    /// The city's tally, once [`Facts::count_city`] has counted it.
    pub fn city(&self) -> Option<&Tally> {
        self.city.as_ref()
    }

    /// Read what changed since the last time (everything the first time, district by
    /// district so no single answer holds the whole ledger).
    async fn catch_up(&mut self, db: &Db) -> Result<(), AppError> {
        let clock: Option<DateTime<Utc>> = db.query("RETURN time::now()").await?.take(0)?;
        let clock = clock.ok_or_else(|| AppError::internal("the database has no clock"))?;
        match &self.since {
            None => {
                let districts: Vec<RecordId> = db
                    .query("SELECT VALUE id FROM district")
                    .await?
                    .check()?
                    .take(0)?;
                // Two districts are read at once (the database uses both cores while
                // the facts of the one before are put in).
                let read = |d: RecordId| {
                    let db = db.clone();
                    tokio::spawn(async move {
                        let rows: Vec<Row> = db
                            .query(format!("SELECT {FIELDS} FROM item WHERE district = $d"))
                            .bind(("d", d))
                            .await?
                            .check()?
                            .take(0)?;
                        Ok::<_, AppError>(rows)
                    })
                };
                let total = districts.len();
                let mut districts = districts.into_iter();
                let mut reading: std::collections::VecDeque<_> =
                    districts.by_ref().take(READ_AHEAD).map(read).collect();
                let mut done = 0;
                while let Some(next) = reading.pop_front() {
                    let rows = next.await.map_err(AppError::internal)??;
                    reading.extend(districts.next().map(read));
                    done += 1;
                    let held = self.facts.len() + rows.len();
                    if let (true, Some(like)) = (self.facts.capacity() < held, rows.first()) {
                        // And as many again for each district left as this one and those
                        // before it held on average.
                        let expected = held + held / done * (total - done);
                        self.expect(expected - self.facts.len(), like);
                    }
                    for r in rows {
                        self.put(r);
                    }
                }
            }
            Some(since) => {
                let rows: Vec<Row> = db
                    .query(format!(
                        "SELECT {FIELDS} FROM item WHERE touched_at >= $since"
                    ))
                    .bind(("since", *since))
                    .await?
                    .check()?
                    .take(0)?;
                for r in rows {
                    self.put(r);
                }
            }
        }
        self.since = Some(clock - chrono::Duration::seconds(OVERLAP_SECONDS));
        Ok(())
    }
}

type Shared = Arc<tokio::sync::Mutex<Facts>>;

static STORES: LazyLock<Mutex<HashMap<String, Shared>>> = LazyLock::new(Default::default);

/// The facts of `db`, caught up with its ledger, locked for the caller's count.
pub async fn current(db: &Db) -> Result<tokio::sync::OwnedMutexGuard<Facts>, AppError> {
    let identity: Option<String> = db
        .query("SELECT VALUE key FROM ONLY database_identity:this")
        .await?
        .check()?
        .take(0)?;
    let identity = identity.ok_or_else(|| AppError::internal("the database has no identity"))?;
    let store = STORES
        .lock()
        .map_err(|_| AppError::internal("statistics store poisoned"))?
        .entry(identity)
        .or_default()
        .clone();
    let mut facts = store.lock_owned().await;
    facts.catch_up(db).await?;
    Ok(facts)
}

/// Reads the facts of `db` now, so the first view of the dashboard or the ledger after a
/// start does not wait for them (at a million items, tens of seconds). For the server to
/// spawn at start; a view that comes meanwhile waits for the same reading, not a second.
pub async fn warm(db: &Db) {
    let started = std::time::Instant::now();
    match current(db).await {
        Ok(store) => tracing::info!(
            items = store.facts.len(),
            seconds = started.elapsed().as_secs_f64(),
            "statistics facts read"
        ),
        Err(e) => tracing::warn!(error = %e, "statistics facts not read at start"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interned_names_keep_their_numbers() {
        let mut i = Interner::default();
        assert_eq!(i.number("hl"), 0);
        assert_eq!(i.number("xh"), 1);
        assert_eq!(i.number("hl"), 0);
        assert_eq!(i.name(1), "xh");
        assert_eq!(i.name(7), "");
        assert_eq!(i.get("xh"), Some(1));
        assert_eq!(i.get("tx"), None);
    }

    #[test]
    fn texts_are_found_by_position_and_replaced() {
        let mut t = Texts::default();
        t.push("i0000001");
        t.push("");
        t.push("i0000003");
        assert_eq!(
            (t.len(), t.get(0), t.get(1), t.get(2)),
            (3, "i0000001", "", "i0000003")
        );
        assert_eq!(t.get(3), "");
        t.set(0, "B2026-1");
        t.set(2, "i0000003");
        t.set(9, "past the end");
        assert_eq!((t.len(), t.get(0), t.get(2)), (3, "B2026-1", "i0000003"));
    }

    #[test]
    fn positions_find_each_key_even_when_hashes_meet() {
        let mut keys = Texts::default();
        let mut p = Positions::<std::hash::RandomState>::default();
        for (at, k) in ["a", "b", "c"].into_iter().enumerate() {
            keys.push(k);
            p.add(k, at);
        }
        assert_eq!([p.find(&keys, "b"), p.find(&keys, "z")], [Some(1), None]);
        // Every key under one hash, as when 64-bit hashes meet: each is still found.
        #[derive(Default)]
        struct OneHash;
        struct OneHasher;
        impl std::hash::Hasher for OneHasher {
            fn finish(&self) -> u64 {
                7
            }
            fn write(&mut self, _: &[u8]) {}
        }
        impl std::hash::BuildHasher for OneHash {
            type Hasher = OneHasher;
            fn build_hasher(&self) -> OneHasher {
                OneHasher
            }
        }
        let mut p = Positions::<OneHash>::default();
        for (at, k) in ["a", "b", "c"].into_iter().enumerate() {
            p.add(k, at);
        }
        assert_eq!(p.first.len(), 1);
        assert_eq!(
            ["a", "b", "c", "z"].map(|k| p.find(&keys, k)),
            [Some(0), Some(1), Some(2), None]
        );
    }
}
