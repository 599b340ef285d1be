//! Backup and restore of the whole database: every definition and record to one
//! SurrealQL file, and that file into an empty database. (Evidence files are kept on
//! disk by their sha256, outside the database: copy that folder beside the backup.)

use super::{Db, DbConfig, apply_migrations, open};
use std::collections::BTreeMap;
use std::path::Path;

/// Rows per table, to report what a backup or restore holds and to compare two databases.
pub type TableCounts = BTreeMap<String, i64>;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("database: {0}")]
    Database(#[from] surrealdb::Error),
    #[error(
        "the database to restore into is not empty (it has tables: {0}); restore only into a new database"
    )]
    NotEmpty(String),
    #[error("no backup file at {0}")]
    NoFile(String),
}

/// The names of the database's tables.
pub async fn tables(db: &Db) -> Result<Vec<String>, surrealdb::Error> {
    let info: Option<serde_json::Value> = db.query("INFO FOR DB").await?.check()?.take(0)?;
    Ok(info
        .as_ref()
        .and_then(|i| i.get("tables"))
        .and_then(|t| t.as_object())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default())
}

/// How many rows each table holds.
pub async fn table_counts(db: &Db) -> Result<TableCounts, surrealdb::Error> {
    let mut counts = TableCounts::new();
    for table in tables(db).await? {
        let n: Option<i64> = db
            .query("SELECT VALUE count() FROM type::table($table) GROUP ALL")
            .bind(("table", table.clone()))
            .await?
            .check()?
            .take(0)?;
        counts.insert(table, n.unwrap_or(0));
    }
    Ok(counts)
}

/// Write every definition and record of the database to `to` (SurrealQL). Returns the
/// rows per table that went into it.
pub async fn backup(db: &Db, to: &Path) -> Result<TableCounts, BackupError> {
    let counts = table_counts(db).await?;
    db.export(to).await?;
    Ok(counts)
}

/// Load a backup into the database `cfg` names, which must be empty (a restore never
/// mixes two ledgers), then bring its schema up to this version. Returns the rows per
/// table after the restore.
pub async fn restore(cfg: &DbConfig, from: &Path) -> Result<(Db, TableCounts), BackupError> {
    if !from.is_file() {
        return Err(BackupError::NoFile(from.display().to_string()));
    }
    let db = open(cfg).await?;
    let existing = tables(&db).await?;
    if !existing.is_empty() {
        return Err(BackupError::NotEmpty(existing.join(", ")));
    }
    db.import(from).await?;
    apply_migrations(&db).await?;
    let counts = table_counts(&db).await?;
    Ok((db, counts))
}
