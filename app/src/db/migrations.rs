//! Versioned schema migrations, applied in order at start-up and recorded in the
//! `migration` table, so each runs once per database however often the server starts.

use super::Db;
use surrealdb::types::SurrealValue;

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "organisation and accounts",
        sql: include_str!("migrations/0001_accounts.surql"),
    },
    Migration {
        version: 2,
        name: "the rectification ledger",
        sql: include_str!("migrations/0002_ledger.surql"),
    },
    Migration {
        version: 3,
        name: "reminders",
        sql: include_str!("migrations/0003_reminders.surql"),
    },
    Migration {
        version: 4,
        name: "reminder channels and the delivery log",
        sql: include_str!("migrations/0004_channels.surql"),
    },
    Migration {
        version: 5,
        name: "statistics snapshots and ledger imports",
        sql: include_str!("migrations/0005_statistics.surql"),
    },
    Migration {
        version: 6,
        name: "look-back campaigns and on-site verification",
        sql: include_str!("migrations/0006_campaigns.surql"),
    },
    Migration {
        version: 7,
        name: "a province's scale: item write stamps, database identity",
        sql: include_str!("migrations/0007_performance.surql"),
    },
    Migration {
        version: 8,
        name: "security: forced password change, the security log",
        sql: include_str!("migrations/0008_security.surql"),
    },
    Migration {
        version: 9,
        name: "the inbox, newest first",
        sql: include_str!("migrations/0009_inbox.surql"),
    },
    Migration {
        version: 10,
        name: "the reminder planner finds what falls due by its anchors",
        sql: include_str!("migrations/0010_reminder_anchors.surql"),
    },
    Migration {
        version: 11,
        name: "the reminder planner reads a crowded day in pages",
        sql: include_str!("migrations/0011_reminder_cursor.surql"),
    },
    Migration {
        version: 12,
        name: "the reminder planner reads a bulk write in batches",
        sql: include_str!("migrations/0012_reminder_written_cursor.surql"),
    },
    Migration {
        version: 13,
        name: "a person's devices kept to the ones seen last",
        sql: include_str!("migrations/0013_push_devices.surql"),
    },
    Migration {
        version: 14,
        name: "password guesses counted per account name and address",
        sql: include_str!("migrations/0014_sign_in_guard.surql"),
    },
    Migration {
        version: 15,
        name: "accounts that can be disabled, and each person's daily file quota",
        sql: include_str!("migrations/0015_accounts_and_quota.surql"),
    },
];

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Applied {
    version: i64,
}

const LEDGER_OF_MIGRATIONS: &str = "
    DEFINE TABLE IF NOT EXISTS migration SCHEMAFULL;
    DEFINE FIELD IF NOT EXISTS version ON migration TYPE int;
    DEFINE FIELD IF NOT EXISTS name ON migration TYPE string;
    DEFINE FIELD IF NOT EXISTS applied_at ON migration TYPE datetime;
    DEFINE INDEX IF NOT EXISTS migration_version ON migration FIELDS version UNIQUE;
";

/// Apply every migration not yet recorded. Each one and its record commit together.
pub async fn apply_migrations(db: &Db) -> Result<Vec<i64>, surrealdb::Error> {
    db.query(LEDGER_OF_MIGRATIONS).await?.check()?;
    let applied: Vec<Applied> = db
        .query("SELECT version FROM migration")
        .await?
        .check()?
        .take(0)?;
    let mut newly = Vec::new();
    for m in MIGRATIONS {
        if applied.iter().any(|a| a.version == m.version) {
            continue;
        }
        let sql = format!(
            "BEGIN TRANSACTION;\n{}\nCREATE migration SET version = $version, name = $name, applied_at = time::now();\nCOMMIT TRANSACTION;",
            m.sql
        );
        db.query(sql)
            .bind(("version", m.version))
            .bind(("name", m.name))
            .await?
            .check()?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
        newly.push(m.version);
    }
    Ok(newly)
}
