//! The database: connecting to SurrealDB (embedded SurrealKV on disk, `mem://` for
//! tests, a SurrealDB server over `ws://`) and applying the versioned schema.

pub mod backup;
mod migrations;

pub use migrations::{MIGRATIONS, Migration, apply_migrations};

use std::borrow::Cow;
use std::future::{Future, IntoFuture};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use surrealdb::engine::any::Any;
use surrealdb::engine::local::Db as Embedded;
use surrealdb::opt::auth::Root;
use surrealdb::types::{RecordId, RecordIdKey};
use surrealdb::{IndexedResults, Surreal};

/// SurrealKV's block cache and memtable when embedded. Left to itself SurrealKV sizes
/// them from the machine's memory (half of it for the cache, 1 GiB of memtable on a
/// 24 GiB machine), which a province's ledger then fills; the app keeps what it counts
/// in memory (the statistics' facts), so the cache only has to hold what is hot. 192 MiB
/// since 2026-12-05 (256 before): the process that wrote the million-item ledger peaked
/// at 1,028 MiB with 256 (README, "Speed").
pub const BLOCK_CACHE_BYTES: u64 = 192 << 20;
/// A transaction's writes go into one memtable, so its size also bounds the largest
/// transaction: SurrealKV reserves up to 199 bytes an entry besides its key and value, so
/// 128 MiB holds about 400,000 small writes (a DELETE of a day's reminders at a million
/// items, 251,408 keys, takes about 90 MiB of it; an import of 5,000 rows about a
/// quarter of it); at 64 MiB that DELETE failed ("Memtable arena is full"). A full
/// memtable is written out while the next fills (writes wait once two are waiting): at
/// 256 MiB they were the largest part of the memory of the process that wrote the
/// million-item ledger (README, "Speed", 2026-12-05).
pub const MEMTABLE_BYTES: u64 = 128 << 20;
/// SurrealKV's table blocks when embedded. Its default, 64 KiB, suits reading in key
/// order; the ledger mostly reads records one at a time by id or through an index (an
/// item is about 1 KiB), and each such read copies and checks a whole block that the
/// cache (which holds a fraction of a province's ledger) seldom has. At 16 KiB, copying,
/// zeroing and checking blocks still took about a third of the Excel export's time
/// (`perf` on the million-item benchmark's export, 2026-12-04).
pub const BLOCK_BYTES: u64 = 4 << 10;

/// The handle every service takes: one SurrealDB session, shared by every request.
///
/// Cloning a `Surreal` handle opens a new session, which replays the sign-in and the
/// namespace choice; on a SurrealDB server that is a password check for every clone, and
/// the app hands the database to every request. Cloning a `Db` clones an `Arc`.
#[derive(Clone, Debug)]
pub struct Db(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    engine: Engine,
    /// Values this process derived from the database and keeps beside the handle, so
    /// that each database (one per test) has its own ([`Db::kept`]).
    memo: Memo,
    /// How many statements that may write this process has run ([`Db::changes`]).
    changes: AtomicU64,
}

type Memo =
    std::sync::Mutex<std::collections::HashMap<&'static str, Arc<dyn std::any::Any + Send + Sync>>>;

/// Where the session goes: a server or `mem://` (any endpoint), or SurrealKV embedded in
/// this process with its memory bounded.
#[derive(Debug)]
enum Engine {
    Any(Surreal<Any>),
    Embedded(Surreal<Embedded>, Store),
}

/// The embedded datastore itself, kept to be closed ([`Db::close`]).
struct Store(Arc<surrealdb_core::kvs::Datastore>);

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

/// A query being built ([`Db::query`]): bind its parameters, then await it.
pub struct Query<'a> {
    statements: Statements<'a>,
    /// [`Db::changes`], counted once the query is over when one of its statements may
    /// write.
    changes: &'a AtomicU64,
    writes: bool,
}

enum Statements<'a> {
    Any(surrealdb::method::Query<'a, Any>),
    Embedded(surrealdb::method::Query<'a, Embedded>),
}

impl<'a> Query<'a> {
    pub fn bind(self, vars: impl surrealdb::method::IntoVariables) -> Self {
        let statements = match self.statements {
            Statements::Any(q) => Statements::Any(q.bind(vars)),
            Statements::Embedded(q) => Statements::Embedded(q.bind(vars)),
        };
        Query { statements, ..self }
    }

    /// More statements, run after those before.
    pub fn query(self, sql: impl Into<Cow<'a, str>>) -> Self {
        let sql = sql.into();
        let writes = self.writes || may_write(&sql);
        let statements = match self.statements {
            Statements::Any(q) => Statements::Any(q.query(sql)),
            Statements::Embedded(q) => Statements::Embedded(q.query(sql)),
        };
        Query {
            statements,
            writes,
            ..self
        }
    }
}

impl<'a> IntoFuture for Query<'a> {
    type Output = Result<IndexedResults, surrealdb::Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        let run = match self.statements {
            Statements::Any(q) => q.into_future(),
            Statements::Embedded(q) => q.into_future(),
        };
        if !self.writes {
            return run;
        }
        let changes = self.changes;
        Box::pin(async move {
            // Counted when the write is over, or abandoned half way: whoever read the
            // count before it then sees that what they read may be out of date.
            let _counted = Counted(changes);
            run.await
        })
    }
}

/// Adds one to a count of changes when dropped.
struct Counted<'a>(&'a AtomicU64);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Whether SurrealQL text may change the database: it names a statement that writes
/// (or defines, removes or rebuilds). Whole words, any case; a word that only looks like
/// one (`updated_at`, a `$delete` parameter) errs on the side of "may write".
pub fn may_write(sql: &str) -> bool {
    const WRITING: [&str; 10] = [
        "CREATE", "UPDATE", "UPSERT", "DELETE", "RELATE", "INSERT", "DEFINE", "REMOVE", "ALTER",
        "REBUILD",
    ];
    sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|word| WRITING.iter().any(|w| w.eq_ignore_ascii_case(word)))
}

impl Db {
    /// One or more SurrealQL statements; parameters are bound, never spliced in.
    pub fn query<'a>(&'a self, sql: impl Into<Cow<'a, str>>) -> Query<'a> {
        let sql = sql.into();
        let writes = may_write(&sql);
        let statements = match &self.0.engine {
            Engine::Any(s) => Statements::Any(s.query(sql)),
            Engine::Embedded(s, _) => Statements::Embedded(s.query(sql)),
        };
        Query {
            statements,
            changes: &self.0.changes,
            writes,
        }
    }

    /// How many statements that may have changed the database this process has run
    /// through this handle, counted once each is over. Equal counts before and after
    /// reading something mean nothing was written here in between (another process
    /// writing to a shared SurrealDB server is not counted).
    pub fn changes(&self) -> u64 {
        self.0.changes.load(Ordering::SeqCst)
    }

    /// What is kept under `key` for this database's handle, made empty the first time.
    pub fn kept<T: Default + Send + Sync + 'static>(&self, key: &'static str) -> Arc<T> {
        let mut memo = self.0.memo.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = memo.get(key).cloned().and_then(|v| v.downcast::<T>().ok()) {
            return found;
        }
        let made = Arc::new(T::default());
        memo.insert(key, made.clone());
        made
    }

    /// Every definition and record, as SurrealQL, into `to`.
    pub async fn export(&self, to: &Path) -> Result<(), surrealdb::Error> {
        match &self.0.engine {
            Engine::Any(s) => s.export(to).await,
            Engine::Embedded(s, _) => s.export(to).await,
        }
    }

    /// Runs the SurrealQL file `from` (a backup).
    pub async fn import(&self, from: &Path) -> Result<(), surrealdb::Error> {
        let _counted = Counted(&self.0.changes);
        match &self.0.engine {
            Engine::Any(s) => s.import(from).await,
            Engine::Embedded(s, _) => s.import(from).await,
        }
    }

    /// Closes an embedded database so that everything committed is on disk: its write-
    /// ahead log flushed and its memory tables written out. Dropping the handle does not:
    /// SurrealKV 0.21 then closes in a task nobody waits for, and a reopened database was
    /// measured to lack a committed transaction (2,000 items of 100,000 written by
    /// `rectify bench`, the same ones every time). Call it once, when the process is done
    /// with the database; nothing can be written after it. A server's database is
    /// closed by the server.
    pub async fn close(&self) -> Result<(), surrealdb::Error> {
        match &self.0.engine {
            Engine::Any(_) => Ok(()),
            Engine::Embedded(_, store) => store
                .0
                .shutdown()
                .await
                .map_err(|e| surrealdb::Error::internal(format!("closing the database: {e:#}"))),
        }
    }
}

/// Where the data lives.
#[derive(Clone, Debug)]
pub struct DbConfig {
    /// `surrealkv://PATH`, `mem://`, or `ws://HOST:PORT`.
    pub endpoint: String,
    pub namespace: String,
    pub database: String,
    /// Root credentials, needed for a SurrealDB server only.
    pub username: Option<String>,
    pub password: Option<String>,
}

impl DbConfig {
    pub fn in_memory() -> Self {
        DbConfig {
            endpoint: "mem://".into(),
            namespace: "rectify".into(),
            database: "main".into(),
            username: None,
            password: None,
        }
    }
}

/// Connect and bring the schema up to this version.
pub async fn connect(cfg: &DbConfig) -> Result<Db, surrealdb::Error> {
    let db = open(cfg).await?;
    apply_migrations(&db).await?;
    Ok(db)
}

/// SurrealKV in this process, its cache and memtable bounded; the rest as the SDK would
/// open it.
async fn embedded(
    path: &str,
    memtable_bytes: u64,
) -> Result<(Surreal<Embedded>, Store), surrealdb::Error> {
    let failed = |e: &dyn std::fmt::Display| surrealdb::Error::internal(format!("{path}: {e:#}"));
    let config = surrealdb_cnf::ConfigMap::empty()
        .with_key_value(
            "surrealkv_block_cache_capacity",
            BLOCK_CACHE_BYTES.to_string(),
        )
        .with_key_value("surrealkv_max_memtable_size", memtable_bytes.to_string())
        .with_key_value("surrealkv_block_size", BLOCK_BYTES.to_string());
    let store = surrealdb_core::kvs::Datastore::builder()
        .with_config(config)
        .with_auth(false)
        .without_maintenance_tasks()
        .build_with_path(path)
        .await
        .map_err(|e| failed(&e))?;
    store.check_version().await.map_err(|e| failed(&e))?;
    store.bootstrap().await.map_err(|e| failed(&e))?;
    store.start_maintenance_tasks();
    let db = Surreal::<Embedded>::unstable_from_datastore(store.clone(), None).await?;
    Ok((db, Store(store)))
}

/// Connect, sign in to a server when one is named, choose the namespace and database;
/// no migration (a restore needs the database as it is).
pub async fn open(cfg: &DbConfig) -> Result<Db, surrealdb::Error> {
    open_with(cfg, MEMTABLE_BYTES).await
}

/// [`connect`] to SurrealKV at `path` with a memory table of `memtable_bytes`: a small
/// one makes SurrealKV write out its tables and start new logs after a few writes, as a
/// large ledger does after many (the durability tests).
pub async fn connect_embedded(
    path: &std::path::Path,
    memtable_bytes: u64,
) -> Result<Db, surrealdb::Error> {
    let cfg = DbConfig {
        endpoint: format!("surrealkv://{}", path.display()),
        ..DbConfig::in_memory()
    };
    let db = open_with(&cfg, memtable_bytes).await?;
    apply_migrations(&db).await?;
    Ok(db)
}

async fn open_with(cfg: &DbConfig, memtable_bytes: u64) -> Result<Db, surrealdb::Error> {
    let engine = if cfg.endpoint.starts_with("surrealkv://") {
        let (db, store) = embedded(&cfg.endpoint, memtable_bytes).await?;
        db.use_ns(cfg.namespace.as_str())
            .use_db(cfg.database.as_str())
            .await?;
        Engine::Embedded(db, store)
    } else {
        let db = surrealdb::engine::any::connect(cfg.endpoint.as_str()).await?;
        if let (Some(username), Some(password)) = (&cfg.username, &cfg.password) {
            db.signin(Root {
                username: username.clone(),
                password: password.clone(),
            })
            .await?;
        }
        db.use_ns(cfg.namespace.as_str())
            .use_db(cfg.database.as_str())
            .await?;
        Engine::Any(db)
    };
    Ok(Db(Arc::new(Inner {
        engine,
        memo: Default::default(),
        changes: AtomicU64::new(0),
    })))
}

/// A fresh in-memory database with the schema applied: one per test.
pub async fn connect_in_memory() -> Result<Db, surrealdb::Error> {
    connect(&DbConfig::in_memory()).await
}

/// The key of a record id as the browser sees it (ids travel as plain strings).
pub fn key_of(id: &RecordId) -> String {
    match &id.key {
        RecordIdKey::String(s) => s.clone(),
        RecordIdKey::Number(n) => n.to_string(),
        other => format!("{other:?}"),
    }
}

/// Whether the record exists.
pub async fn exists(db: &Db, id: &RecordId) -> Result<bool, surrealdb::Error> {
    let found: Option<RecordId> = db
        .query("SELECT VALUE id FROM ONLY $id")
        .bind(("id", id.clone()))
        .await?
        .check()?
        .take(0)?;
    Ok(found.is_some())
}

/// SurrealDB 3 reads `… WHERE field IN $list` through `field`'s index only while the list
/// holds at most this many values (its planner's `MAX_IN_EXPANSION_SIZE`); with one more it
/// reads the whole table. (And `WHERE id IN $ids` always reads the whole table: read the
/// records themselves, `FROM $ids`.)
pub const INDEXED_IN_MAX: usize = 32;

/// A SurrealQL expression, one array of the rows of `select` (`SELECT … FROM table`) whose
/// `field` is one of the values of the array `list` (a parameter such as `$found`), however
/// many: asked for [`INDEXED_IN_MAX`] values at a time, each an index read. `and` adds
/// conditions (`AND …`, or nothing). Only where `field` has an index of its own: inside
/// the closure SurrealDB 3.3 plans the older way, and its union over the first field of
/// a composite index finds nothing (the acceptance table's `item, round, co_signer`).
/// Used by the reminder scheduler; on a page's request path the closure's deeper
/// recursion overflowed a debug build's stack in the HTTP tests: pages use
/// [`read_where_in`], which splits the list in Rust.
pub fn select_where_in(select: &str, field: &str, list: &str, and: &str) -> String {
    format!(
        "array::flatten(array::map(array::clump({list}, {INDEXED_IN_MAX}), |$some| \
            {select} WHERE {field} IN $some {and}))"
    )
}

/// Reads, in one round trip, the rows of each statement of `reads` for every record of
/// `ids`, however many: each statement says `… WHERE field IN $some …` and is run once per
/// [`INDEXED_IN_MAX`] ids, with `$some` bound to those, so that each run is an index
/// read ([`ReadsIn::take`] joins a statement's runs). `field` must have an index of its
/// own or be the first field of one.
pub async fn read_where_in(
    db: &Db,
    ids: &[RecordId],
    reads: &[&str],
) -> Result<ReadsIn, surrealdb::Error> {
    let chunks: Vec<&[RecordId]> = ids.chunks(INDEXED_IN_MAX).collect();
    if chunks.is_empty() {
        return Ok(ReadsIn {
            chunks: 0,
            response: None,
        });
    }
    let mut sql = String::new();
    for read in reads {
        for c in 0..chunks.len() {
            sql.push_str(&read.replace("$some", &format!("$some_{c}")));
            sql.push_str(";\n");
        }
    }
    let mut query = db.query(sql);
    for (c, chunk) in chunks.iter().enumerate() {
        query = query.bind((format!("some_{c}"), chunk.to_vec()));
    }
    Ok(ReadsIn {
        chunks: chunks.len(),
        response: Some(query.await?.check()?),
    })
}

/// What [`read_where_in`] read.
pub struct ReadsIn {
    chunks: usize,
    response: Option<IndexedResults>,
}

impl ReadsIn {
    /// The rows of the `read`th statement, for all the ids.
    pub fn take<T: surrealdb::types::SurrealValue>(
        &mut self,
        read: usize,
    ) -> Result<Vec<T>, surrealdb::Error> {
        let mut rows = Vec::new();
        if let Some(response) = self.response.as_mut() {
            for c in 0..self.chunks {
                rows.extend(response.take::<Vec<T>>(read * self.chunks + c)?);
            }
        }
        Ok(rows)
    }
}

/// Whether an error's text is SurrealDB's write conflict: another transaction wrote the
/// same record first (optimistic transactions); doing it again is safe.
pub fn is_write_conflict(text: &str) -> bool {
    text.contains("Transaction conflict") || text.contains("retry the transaction")
}

/// Every error of a response, joined with " | ", or `None` when every statement ran.
/// All of them, not the first: when a transaction fails, the statements before the
/// failing one (a `THROW`, or the COMMIT that met a write conflict) say only that they
/// were not executed, and the cause stands on its own statement.
pub fn errors_of(response: &mut IndexedResults) -> Option<String> {
    let errors = response.take_errors();
    (!errors.is_empty()).then(|| {
        errors
            .values()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join(" | ")
    })
}

/// A record id of `table` from the key a browser sent back.
pub fn record(table: &str, key: &str) -> RecordId {
    RecordId::new(table, key.to_string())
}

#[cfg(test)]
mod tests {
    use super::may_write;

    #[test]
    fn statements_that_write_are_told_from_those_that_only_read() {
        for writes in [
            "UPDATE $id SET last_seen = $now",
            "create item CONTENT $item",
            "SELECT * FROM item; DELETE session WHERE token_hash = $hash",
            "UPSERT counter:open SET n += 1",
            "RELATE $a->acted->$b",
            "INSERT INTO reminder $rows",
            "DEFINE INDEX x ON item FIELDS unit",
            "REMOVE INDEX x ON item",
            "BEGIN; UPDATE item SET state = 'closed' WHERE id = $id; COMMIT",
            // Looks like a write: counted, which costs a fresh page at worst.
            "SELECT * FROM item WHERE $delete = true",
        ] {
            assert!(may_write(writes), "{writes}");
        }
        for reads in [
            "SELECT id, user, last_seen FROM session WHERE token_hash = $hash LIMIT 1",
            "SELECT count() FROM item WHERE updated_at > $since GROUP ALL",
            "SELECT VALUE id FROM ONLY $id",
            "SELECT * FROM item WHERE deleted = false AND created > $t",
            "INFO FOR DB",
        ] {
            assert!(!may_write(reads), "{reads}");
        }
    }
}
