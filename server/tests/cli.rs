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
