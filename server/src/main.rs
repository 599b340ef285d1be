use anyhow::Context;
use app::web::Settings;
use clap::Parser;
use server::config::{Cli, Command, Options};
use server::{AppState, router};
use tracing_subscriber::EnvFilter;

/// mimalloc in place of the C library's allocator. A page's rendering is thousands of
/// small allocations across the runtime's threads, and the glibc allocator took a
/// quarter of the server's time rendering the sign-in page; it also held on to what
/// SurrealKV's compaction had freed (README, "Speed"). The feature `system-allocator`
/// leaves it out, for heap profilers that watch the C library's (heaptrack).
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_new(&cli.options.log).unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    if let Some(Command::Bench(args)) = cli.command {
        let held = server::bench::run(args, &cli.options.site_root).await?;
        std::process::exit(if held { 0 } else { 1 });
    }
    if let Some(Command::Drill(drill)) = cli.command.clone() {
        let held = server::drill::run(drill, &cli.options.site_root).await?;
        std::process::exit(if held { 0 } else { 1 });
    }
    if let Some(Command::Restore { from }) = &cli.command {
        let (db, counts) = app::db::backup::restore(&cli.options.db_config()?, from).await?;
        let rows: i64 = counts.values().sum();
        println!(
            "restored {rows} rows in {} tables from {} into {}",
            counts.len(),
            from.display(),
            cli.options.db
        );
        let verified = verify_ledger(&db).await;
        db.close().await?;
        return verified;
    }
    let serving = matches!(cli.command, Some(Command::Serve) | None);
    let db = open_database(&cli.options, serving).await?;
    let done = match cli.command {
        Some(Command::CreateAdmin {
            username,
            display_name,
        }) => create_admin(&db, username, display_name).await,
        Some(Command::VerifyLedger) => verify_ledger(&db).await,
        Some(Command::Backup { to }) => {
            let counts = app::db::backup::backup(&db, &to).await?;
            let rows: i64 = counts.values().sum();
            println!(
                "backed up {rows} rows in {} tables to {}",
                counts.len(),
                to.display()
            );
            Ok(())
        }
        Some(Command::Bench(_) | Command::Restore { .. } | Command::Drill(_)) => Ok(()),
        Some(Command::Serve) | None => serve(cli.options, db.clone()).await,
    };
    // Everything committed on disk before the process ends (`Db::close`).
    let closed = db.close().await;
    done?;
    Ok(closed?)
}

/// Between two scheduler runs while a backlog is worked off.
const BATCH_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// The reminder scheduler of this instance: plan, claim and deliver to the inbox every
/// `every`, then send what is due on the other channels (push, robots, SMS).
async fn run_scheduler(
    db: app::db::Db,
    out: app::reminders::dispatch::Outbound,
    every: std::time::Duration,
) {
    let worker = format!(
        "{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    );
    let mut interval = tokio::time::interval(every);
    let mut more = false;
    loop {
        // A run that left work (a new day's reminders are planned and delivered in
        // batches) is followed by the next one after a breath, not a whole interval.
        if more {
            tokio::time::sleep(BATCH_PAUSE).await;
        } else {
            interval.tick().await;
        }
        let now = chrono::Utc::now();
        more = false;
        // An error is logged where it happened; the next tick tries again.
        if let Ok(ran) =
            app::reminders::service::tick_with(&db, &worker, now, out.public_url.as_deref()).await
        {
            more = ran.more;
            if !ran.digests.is_empty() {
                let reminders: usize = ran.digests.iter().map(|d| d.reminders.len()).sum();
                tracing::info!(people = ran.digests.len(), reminders, "reminders delivered");
            }
        }
        // The security log keeps 400 days; older entries go.
        if let Ok(n) = app::security::service::purge_expired(&db, now).await
            && n > 0
        {
            tracing::info!(entries = n, "security log: expired entries removed");
        }
        // On the first days of a month, the month before is frozen (once).
        if let Ok(Some(id)) = app::stats::service::monthly_snapshot(&db, now).await {
            tracing::info!(%id, "monthly statistics snapshot taken");
        }
        match app::reminders::dispatch::dispatch(&db, &out, &worker, chrono::Utc::now()).await {
            Ok(r) if r != Default::default() => {
                tracing::info!(
                    sent = r.sent,
                    retried = r.retried,
                    failed = r.failed,
                    gone = r.gone,
                    "channel deliveries"
                );
            }
            Ok(_) | Err(_) => {}
        }
    }
}

/// Open the database. A server on a SurrealDB server that is not up yet waits for it
/// (saying so every ten tries) instead of giving up: started together, either may be
/// first. Everything else fails at once.
async fn open_database(options: &Options, serving: bool) -> anyhow::Result<app::db::Db> {
    let config = options.db_config()?;
    let mut tries = 0u32;
    loop {
        match app::db::connect(&config).await {
            Ok(db) => return Ok(db),
            Err(e) if serving && server::availability::is_remote(&options.db) => {
                if tries.is_multiple_of(10) {
                    tracing::warn!("waiting for the database at {}: {e}", options.db);
                }
                tries += 1;
                tokio::time::sleep(server::availability::RETRY_EVERY).await;
            }
            Err(e) => {
                return Err(anyhow::Error::new(e))
                    .with_context(|| format!("cannot open the database at {}", options.db));
            }
        }
    }
}

async fn verify_ledger(db: &app::db::Db) -> anyhow::Result<()> {
    let report = app::ledger::service::verify_ledger(db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match report.first_break {
        None => {
            println!("ledger history intact: {} events verified", report.events);
            Ok(())
        }
        Some(b) => {
            println!(
                "ledger history BROKEN after {} good events: {b:?}",
                report.events
            );
            std::process::exit(1);
        }
    }
}

async fn create_admin(
    db: &app::db::Db,
    username: String,
    display_name: String,
) -> anyhow::Result<()> {
    let password = match std::env::var("RECTIFY_ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let input = app::admin::NewUser {
        username,
        display_name,
        password,
        role: app::auth::Role::Administrator.as_str().into(),
        ..Default::default()
    };
    // The person who typed the password is its user: no forced change.
    match app::admin::service::create_account(db, &input, false).await {
        Ok(id) => {
            // The name to sign in with, as stored (trimmed, lower-case).
            let username =
                app::auth::rules::new_username(&input.username).unwrap_or(input.username);
            println!("administrator {username} created (user:{id})");
            Ok(())
        }
        Err(e) => anyhow::bail!("administrator not created: {e}"),
    }
}

async fn serve(options: Options, db: app::db::Db) -> anyhow::Result<()> {
    if options.demo {
        app::demo::ensure_demo_city(&db)
            .await
            .map_err(|e| anyhow::anyhow!("demo city: {e}"))?;
        app::demo::ensure_demo_ledger(&db, &options.files_dir()?)
            .await
            .map_err(|e| anyhow::anyhow!("demo ledger: {e}"))?;
        print_demo_accounts(&db).await?;
    }
    let mut leptos_options = leptos::prelude::get_configuration(None)?.leptos_options;
    leptos_options.site_addr = options.listen;
    leptos_options.site_root = options.site_root.clone().into();
    // cargo-leptos writes the content hashes of the JS, WASM and CSS beside the binary.
    leptos_options.hash_files = std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.parent()
                .map(|dir| dir.join(leptos_options.hash_file.as_ref()).exists())
        })
        .unwrap_or(false);
    let state = AppState {
        db,
        settings: Settings {
            demo: options.demo,
            secure_cookies: options.secure_cookies,
            files_dir: options.files_dir()?,
            push_services: options.push_services(),
        },
        leptos_options,
        limits: Default::default(),
        database: Default::default(),
        pages: Default::default(),
        proxies: options.trusted_proxies()?,
    };
    if server::availability::is_remote(&options.db) {
        server::availability::watch(state.db.clone(), state.database.clone());
    }
    // The VAPID key pair is made on first start and kept in the database.
    let outbound = app::reminders::dispatch::Outbound::new(
        &state.db,
        &options.push_contact,
        options.public_url.clone(),
        options.push_services(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("push identity: {e}"))?;
    if options.tick_seconds > 0 {
        tokio::spawn(run_scheduler(
            state.db.clone(),
            outbound,
            std::time::Duration::from_secs(options.tick_seconds),
        ));
    }
    {
        let db = state.db.clone();
        tokio::spawn(async move { app::stats::facts::warm(&db).await });
    }
    tokio::spawn(sweep_incoming(state.settings.files_dir.clone()));
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    tracing::info!("listening on http://{}", options.listen);
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    Ok(())
}

/// Uploads abandoned mid-request (a killed process, a phone gone quiet) are deleted
/// from the incoming folder, at start and every hour.
async fn sweep_incoming(files_dir: std::path::PathBuf) {
    use app::ledger::incoming::{ABANDONED_AFTER, sweep};
    loop {
        let dir = files_dir.clone();
        match tokio::task::spawn_blocking(move || sweep(&dir, ABANDONED_AFTER)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(files = n, "abandoned uploads deleted"),
            Err(e) => tracing::warn!(error = %e, "sweeping abandoned uploads"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(60 * 60)).await;
    }
}

async fn print_demo_accounts(db: &app::db::Db) -> anyhow::Result<()> {
    let accounts = app::demo::accounts(db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("Demo accounts (demo mode only):");
    for a in accounts {
        println!(
            "  {:<18} {:<12} {}",
            a.role.as_str(),
            a.username,
            a.password
        );
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
