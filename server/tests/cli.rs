//! The command line, run as a real process against SurrealKV on disk.

use std::process::Command;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rectify-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test]
async fn create_admin_writes_an_account_that_survives_the_process() {
    let dir = temp_dir("create-admin");
    let endpoint = format!("surrealkv://{}", dir.join("db").display());
    let run = |username: &str| {
        Command::new(env!("CARGO_BIN_EXE_rectify"))
            .args([
                "--db",
                &endpoint,
                "--log",
                "warn",
                "create-admin",
                "--username",
                username,
            ])
            .args(["--display-name", "赵磊"])
            .env("RECTIFY_ADMIN_PASSWORD", "first-admin-2026")
            .output()
            .unwrap_or_else(|e| panic!("cannot run rectify: {e}"))
    };
    let first = run("Boss");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("administrator boss created"));
    // The same name again is refused with the reason, and exits non-zero.
    let again = run("boss");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("Username"));

    // Another process (this test) opens the same files and signs the administrator in.
    let db = app::db::connect(&app::db::DbConfig {
        endpoint,
        ..app::db::DbConfig::in_memory()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let signed =
        app::auth::service::sign_in(&db, "boss", "first-admin-2026", chrono::Utc::now()).await;
    assert_eq!(
        signed.map(|s| s.user.role).ok(),
        Some(app::auth::Role::Administrator)
    );
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_weak_first_password_is_refused() {
    let dir = temp_dir("weak");
    let out = Command::new(env!("CARGO_BIN_EXE_rectify"))
        .args([
            "--db",
            &format!("surrealkv://{}", dir.join("db").display()),
            "--log",
            "warn",
        ])
        .args([
            "create-admin",
            "--username",
            "boss",
            "--display-name",
            "赵磊",
        ])
        .env("RECTIFY_ADMIN_PASSWORD", "short")
        .output()
        .unwrap_or_else(|e| panic!("cannot run rectify: {e}"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TooShort"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn ok<T>(r: Result<T, app::AppError>) -> T {
    r.unwrap_or_else(|e| panic!("{e:?}"))
}

/// An item's history written by the app, then checked by `rectify verify-ledger` as a
/// separate process; after an event is altered on disk the command reports where.
#[tokio::test]
async fn verify_ledger_reports_an_intact_and_a_broken_chain() {
    let dir = temp_dir("verify-ledger");
    let endpoint = format!("surrealkv://{}", dir.join("db").display());
    let config = app::db::DbConfig {
        endpoint: endpoint.clone(),
        ..app::db::DbConfig::in_memory()
    };
    {
        let db = app::db::connect(&config)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let district = ok(app::org::service::create_district(&db, "HL", "海陵区", "Hailing").await);
        let unit = ok(app::org::service::create_unit(&db, &district, "海陵区教育局").await);
        let id = ok(app::admin::service::create_user(
            &db,
            &app::admin::NewUser {
                username: "central".into(),
                display_name: "陈建国".into(),
                password: "taizhou2026".into(),
                role: "central_office".into(),
                ..Default::default()
            },
        )
        .await);
        let central =
            ok(app::auth::service::load_session_user(&db, &app::db::record("user", &id)).await)
                .unwrap_or_else(|| panic!("no user"));
        let item = app::ledger::NewItem {
            unit,
            source: "inspection_tour".into(),
            category: "excess_leaders".into(),
            nature: "violation".into(),
            description: "超职数配备副职 1 名".into(),
            found_on: "2026-10-01".into(),
            deadline: "2026-12-31".into(),
            head_name: "周志明".into(),
            ..Default::default()
        };
        let now = chrono::Utc::now();
        let (id, _) = ok(app::ledger::service::register_item(&db, &central, &item, now).await);
        ok(app::ledger::service::issue(&db, &central, &id, now).await);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let verify = || {
        Command::new(env!("CARGO_BIN_EXE_rectify"))
            .args(["--db", &endpoint, "--log", "warn", "verify-ledger"])
            .output()
            .unwrap_or_else(|e| panic!("cannot run rectify: {e}"))
    };
    let intact = verify();
    assert!(
        intact.status.success(),
        "{}",
        String::from_utf8_lossy(&intact.stderr)
    );
    assert!(String::from_utf8_lossy(&intact.stdout).contains("2 events verified"));
    {
        let db = app::db::connect(&config)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.query("UPDATE event SET actor_name = '别人' , action = 'withdraw' WHERE seq = 2")
            .await
            .and_then(|r| r.check())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let broken = verify();
    assert_eq!(broken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&broken.stdout).contains("Altered { seq: 2 }"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `backup` and `restore` as an operator runs them: one SurrealKV database to a file, the
/// file into a new one, which then signs its administrator in; a second restore into the
/// same (no longer empty) database is refused and changes nothing.
#[tokio::test]
async fn backup_and_restore_move_a_database_to_a_new_one() {
    let dir = temp_dir("backup");
    let source = format!("surrealkv://{}", dir.join("source").display());
    let target = format!("surrealkv://{}", dir.join("target").display());
    let file = dir.join("rectify.surql");
    let rectify = |db: &str, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_rectify"))
            .args(["--db", db, "--log", "warn"])
            .args(args)
            .env("RECTIFY_ADMIN_PASSWORD", "first-admin-2026")
            .output()
            .unwrap_or_else(|e| panic!("cannot run rectify: {e}"))
    };
    let created = rectify(
        &source,
        &[
            "create-admin",
            "--username",
            "boss",
            "--display-name",
            "赵磊",
        ],
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let file_arg = file.display().to_string();
    let backed = rectify(&source, &["backup", "--to", &file_arg]);
    assert!(
        backed.status.success(),
        "{}",
        String::from_utf8_lossy(&backed.stderr)
    );
    assert!(String::from_utf8_lossy(&backed.stdout).starts_with("backed up "));
    let restored = rectify(&target, &["restore", "--from", &file_arg]);
    let out = String::from_utf8_lossy(&restored.stdout);
    assert!(
        restored.status.success(),
        "{out} {}",
        String::from_utf8_lossy(&restored.stderr)
    );
    assert!(
        out.contains("restored ") && out.contains("ledger history intact"),
        "{out}"
    );
    let again = rectify(&target, &["restore", "--from", &file_arg]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));

    let db = app::db::connect(&app::db::DbConfig {
        endpoint: target,
        ..app::db::DbConfig::in_memory()
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let users: Vec<String> = db
        .query("SELECT VALUE username FROM user")
        .await
        .and_then(|mut r| r.take(0))
        .unwrap_or_default();
    assert_eq!(users, vec!["boss".to_string()], "restored once, not twice");
    let signed =
        app::auth::service::sign_in(&db, "boss", "first-admin-2026", chrono::Utc::now()).await;
    assert!(signed.is_ok());
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}
