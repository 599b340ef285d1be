//! The database: connecting to SurrealDB (embedded SurrealKV on disk, `mem://` for
//! tests, a SurrealDB server over `ws://`) and applying the versioned schema.

pub mod backup;
mod migrations;

pub use migrations::{MIGRATIONS, Migration, apply_migrations};

use surrealdb::Surreal;
use surrealdb::engine::any::Any;
use surrealdb::opt::auth::Root;
use surrealdb::types::{RecordId, RecordIdKey};

/// The handle every service takes: one SurrealDB session, shared by every request.
///
/// Cloning a `Surreal` handle opens a new session, which replays the sign-in and the
/// namespace choice; on a SurrealDB server that is a password check for every clone, and
/// the app hands the database to every request. Cloning a `Db` clones an `Arc`.
#[derive(Clone, Debug)]
pub struct Db(std::sync::Arc<Surreal<Any>>);

impl std::ops::Deref for Db {
    type Target = Surreal<Any>;

    fn deref(&self) -> &Surreal<Any> {
        &self.0
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

/// Connect, sign in where a server needs it, select the namespace and database, and
/// bring the schema up to date.
/// Connect and bring the schema up to this version.
pub async fn connect(cfg: &DbConfig) -> Result<Db, surrealdb::Error> {
    let db = open(cfg).await?;
    apply_migrations(&db).await?;
    Ok(db)
}

/// Connect, sign in to a server when one is named, choose the namespace and database;
/// no migration (a restore needs the database as it is).
pub async fn open(cfg: &DbConfig) -> Result<Db, surrealdb::Error> {
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
    Ok(Db(std::sync::Arc::new(db)))
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

/// A record id of `table` from the key a browser sent back.
pub fn record(table: &str, key: &str) -> RecordId {
    RecordId::new(table, key.to_string())
}
