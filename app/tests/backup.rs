//! Backup and restore: the whole demo city with its ledger, history and security log goes
//! to one file and comes back into an empty database, row for row, chain intact.
#![cfg(feature = "ssr")]

use app::db::backup::{BackupError, backup, restore, table_counts};
use app::db::{Db, DbConfig, connect_in_memory};

async fn demo_city() -> Db {
    let db = connect_in_memory().await.unwrap_or_else(|e| panic!("{e}"));
    app::demo::ensure_demo_city(&db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let files = std::env::temp_dir().join("rectify-backup-files");
    app::demo::ensure_demo_ledger(&db, &files)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    app::security::service::record(
        &db,
        app::security::service::NewSecurityEvent {
            kind: app::security::SecurityKind::SignIn,
            username: Some("central".into()),
            role: Some("central_office".into()),
            ip: Some("10.0.0.8".into()),
            method: "POST".into(),
            path: "/api/sign_in".into(),
            status: 302,
            detail: String::new(),
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    db
}

async fn rows(db: &Db, sql: &str) -> Vec<serde_json::Value> {
    db.query(sql)
        .await
        .and_then(|r| r.check())
        .and_then(|mut r| r.take::<Vec<serde_json::Value>>(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test]
async fn a_backup_restores_into_an_empty_database_row_for_row() {
    let source = demo_city().await;
    let file = std::env::temp_dir().join(format!("rectify-backup-{}.surql", std::process::id()));
    let written = backup(&source, &file)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        written.get("item").copied().unwrap_or(0) > 10,
        "{written:?}"
    );
    assert!(
        written.get("event").copied().unwrap_or(0) > 10,
        "{written:?}"
    );
    assert_eq!(written.get("security_event"), Some(&1));

    // A new in-memory database is a new, empty store.
    let (restored, counts) = restore(&DbConfig::in_memory(), &file)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(counts, written, "every table, every row");
    assert_eq!(table_counts(&restored).await.ok(), Some(written.clone()));
    for sql in [
        "SELECT id, number, status, description, deadline, unit, found_on FROM item ORDER BY id",
        "SELECT id, username, password_hash, role, scope_unit, scope_district FROM user ORDER BY id",
        "SELECT * FROM event ORDER BY id",
        "SELECT * FROM security_event ORDER BY id",
        "SELECT * FROM migration ORDER BY version",
        "SELECT * FROM database_identity",
    ] {
        assert_eq!(
            rows(&restored, sql).await,
            rows(&source, sql).await,
            "{sql}"
        );
    }
    let chain = app::ledger::service::verify_ledger(&restored)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(chain.first_break, None);
    assert_eq!(
        Some(chain.events as i64),
        written.get("event").copied(),
        "every event verified"
    );
    // The restored city works: the demo's people sign in with their passwords.
    let accounts = app::demo::accounts(&restored).await.unwrap_or_default();
    let central = accounts
        .iter()
        .find(|a| a.username == "central")
        .unwrap_or_else(|| panic!("no central account"));
    assert!(
        app::auth::service::sign_in(&restored, "central", &central.password, chrono::Utc::now())
            .await
            .is_ok()
    );
    let _ = std::fs::remove_file(&file);
}

#[tokio::test]
async fn a_missing_backup_file_is_said_so() {
    let err = restore(
        &DbConfig::in_memory(),
        std::path::Path::new("/no/such/backup.surql"),
    )
    .await;
    assert!(matches!(err, Err(BackupError::NoFile(_))), "{err:?}");
}

#[tokio::test]
async fn writes_are_counted_and_reads_are_not() {
    let db = connect_in_memory().await.unwrap_or_else(|e| panic!("{e}"));
    let before = db.changes();
    rows(&db, "SELECT * FROM unit").await;
    assert_eq!(db.changes(), before, "a read counts no change");
    rows(&db, "CREATE probe:counted SET n = 1").await;
    let after_one = db.changes();
    assert_eq!(after_one, before + 1, "one write, one change");
    // A read with a write chained after it is a write.
    db.query("SELECT * FROM unit")
        .query("UPDATE probe:counted SET n = 2")
        .await
        .and_then(|r| r.check())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(db.changes(), after_one + 1);
    // A write that fails is counted too: it may have done part of its work.
    let failed = db.query("CREATE probe:counted SET n = 3").await;
    assert!(failed.and_then(|r| r.check()).is_err(), "the record exists");
    assert_eq!(db.changes(), after_one + 2);
    // Another database has its own count.
    let other = connect_in_memory().await.unwrap_or_else(|e| panic!("{e}"));
    let theirs = other.changes();
    rows(&db, "DELETE probe:counted").await;
    assert_eq!(other.changes(), theirs);
}

/// Everything committed is there when the database is opened again: SurrealKV on disk
/// with a small memory table (so that it writes out its tables and starts new logs many
/// times over, as a large ledger does), many transactions, closed, opened again. A
/// database left without [`Db::close`] by a process that then ended was measured to lack
/// one committed transaction of 50 when opened again (`rectify bench`, README "Holding
/// up"); within one process, as here, dropping the handle closes it in time as well, so
/// this test checks that closing keeps everything, not that leaving it unclosed loses.
#[tokio::test]
async fn every_committed_write_is_there_once_closed_and_opened_again() {
    let dir = std::env::temp_dir().join(format!("rectify-durable-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    const WRITES: i64 = 60;
    const ROWS: usize = 100;
    let count = |db: Db| async move {
        let n: Option<i64> = db
            .query("RETURN array::len(SELECT VALUE id FROM probe)")
            .await
            .and_then(|r| r.check())
            .and_then(|mut r| r.take(0))
            .unwrap_or_else(|e| panic!("{e}"));
        n.unwrap_or(0)
    };
    {
        let db = app::db::connect_embedded(&dir, 256 << 10)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for w in 0..WRITES {
            // About 100 KiB a transaction: 6 MiB in all, the memory table 256 KiB.
            let pads: Vec<String> = (0..ROWS)
                .map(|i| format!("{w}-{i}-{}", "x".repeat(1000)))
                .collect();
            db.query("BEGIN; FOR $p IN $pads { CREATE probe SET w = $w, pad = $p; }; COMMIT;")
                .bind(("w", w))
                .bind(("pads", pads))
                .await
                .and_then(|r| r.check())
                .unwrap_or_else(|e| panic!("write {w}: {e}"));
        }
        assert_eq!(count(db.clone()).await, WRITES * ROWS as i64);
        db.close().await.unwrap_or_else(|e| panic!("{e}"));
    }
    let again = app::db::connect_embedded(&dir, 256 << 10)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(count(again.clone()).await, WRITES * ROWS as i64);
    again.close().await.unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
}
