//! The outage drill: this server on a SurrealDB server over `ws://`, and that database
//! taken away (SIGKILL, as a crash or a cut cable would) and brought back, `cycles` times.
//! - The server is started before the database and must wait for it.
//! - Before each outage a unit head's progress report is acknowledged.
//! - While the database is away: pages answer 503 with the reason in Chinese at once (not
//!   hanging, not sending the user to sign in again), server functions answer 503 with
//!   the error, and a report is not acknowledged.
//! - Once it is back, without touching the server: the same session opens the home page,
//!   every acknowledged report is in the database, a new report is acknowledged, and the
//!   history's hash chain verifies.

use super::client::{self, Client, Written};
use crate::bench::http;
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What the outage page says, in Chinese.
const OUTAGE_TITLE: &str = "暂时无法连接数据库";
/// How long a cycle may take to notice the outage, or the recovery.
const BOUND: Duration = Duration::from_secs(60);
const ROOT: (&str, &str) = ("root", "root");

/// The SurrealDB server, killed when dropped.
struct Surreal {
    child: Child,
}

impl Surreal {
    /// `surreal start` on `port`, keeping its data in `data`; answers once it accepts
    /// connections.
    async fn start(bin: &Path, port: u16, data: &Path) -> anyhow::Result<Surreal> {
        let child = Command::new(bin)
            .args(["start", "--log", "warn", "--bind"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["--user", ROOT.0, "--pass", ROOT.1])
            .arg(format!("surrealkv://{}", data.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let mut surreal = Surreal { child };
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if let Some(status) = surreal.child.try_wait()? {
                anyhow::bail!("surreal stopped at start ({status})");
            }
            anyhow::ensure!(started.elapsed() < BOUND, "surreal did not listen in time");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(surreal)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Surreal {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One cycle's figures.
#[derive(Debug, Default)]
struct Cycle {
    noticed: Duration,
    slowest_refusal: Duration,
    recovered: Duration,
    acknowledged: usize,
    lost: usize,
    chain_intact: bool,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Ask until `done` says yes; how long it took.
async fn until<F, Fut>(what: &str, mut done: F) -> anyhow::Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !done().await {
        anyhow::ensure!(
            started.elapsed() < BOUND,
            "{what}: not within {} s",
            BOUND.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(started.elapsed())
}

/// While the database is away: the home page, a server function and a report, each
/// answered at once and saying why. The slowest of the three.
async fn refused_while_away(head: &Client, item: &str) -> anyhow::Result<Duration> {
    let mut slowest = Duration::ZERO;
    let t = Instant::now();
    let (status, page) = head.page_text("/").await?;
    slowest = slowest.max(t.elapsed());
    anyhow::ensure!(
        status == 503 && page.contains(OUTAGE_TITLE),
        "home page while the database is away: {status}"
    );
    let t = Instant::now();
    let (status, body) = head.call_raw("my_items", &[]).await?;
    slowest = slowest.max(t.elapsed());
    anyhow::ensure!(
        status == 503 && body.contains("Unavailable"),
        "a server function while the database is away: {status} {body}"
    );
    let t = Instant::now();
    let written = head.report_progress(item, "drill: while away").await?;
    slowest = slowest.max(t.elapsed());
    anyhow::ensure!(
        written != Written::Saved,
        "a report was acknowledged while the database was away"
    );
    Ok(slowest)
}

pub async fn run(cycles: u32, surreal: &Path, dir: &Path, site_root: &str) -> anyhow::Result<bool> {
    let surreal = std::fs::canonicalize(surreal).with_context(|| {
        format!(
            "no SurrealDB server at {} (build it: cargo build --manifest-path .ci/surreal/Cargo.toml)",
            surreal.display()
        )
    })?;
    let data: PathBuf = dir.join("surreal");
    let port = free_port()?;
    let endpoint = format!("ws://127.0.0.1:{port}");
    let flags = ["--demo", "--db-user", ROOT.0, "--db-password", ROOT.1];
    // Started in either order: the server waits for its database.
    let starting = {
        let (endpoint, site_root, files) =
            (endpoint.clone(), site_root.to_string(), dir.join("files"));
        tokio::spawn(async move { http::start_with(&endpoint, &site_root, &files, &flags).await })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut db = Surreal::start(&surreal, port, &data).await?;
    let (server, _) = starting.await??;
    println!("the server waited for its database and started");
    let head = client::demo(&server.base, "unithead").await?;
    let items = client::workable_items(&head).await?;
    let check_config = app::db::DbConfig {
        endpoint: endpoint.clone(),
        username: Some(ROOT.0.into()),
        password: Some(ROOT.1.into()),
        ..app::db::DbConfig::in_memory()
    };
    let mut acknowledged = Vec::new();
    let mut all = Vec::new();
    println!(
        "| cycle | 503 after | slowest answer while away | back after | acknowledged | lost | chain |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for cycle in 1..=cycles {
        let item = &items[cycle as usize % items.len()];
        let text = format!("outage drill: before outage {cycle}");
        anyhow::ensure!(
            head.report_progress(item, &text).await? == Written::Saved,
            "cycle {cycle}: a report before the outage was not acknowledged"
        );
        acknowledged.push(text);
        anyhow::ensure!(head.page("/").await? == 200, "cycle {cycle}: home page");

        db.kill();
        let noticed = until("the outage page", || async {
            matches!(head.page_text("/").await, Ok((503, ref p)) if p.contains(OUTAGE_TITLE))
        })
        .await?;
        let slowest_refusal = refused_while_away(&head, item).await?;

        db = Surreal::start(&surreal, port, &data).await?;
        let recovered = until("the home page again", || async {
            matches!(head.page("/").await, Ok(200))
        })
        .await?;
        let text = format!("outage drill: after outage {cycle}");
        anyhow::ensure!(
            head.report_progress(item, &text).await? == Written::Saved,
            "cycle {cycle}: a report after the outage was not acknowledged"
        );
        acknowledged.push(text);
        let (lost, _, broken) = super::crash::check(&check_config, &acknowledged).await?;
        let c = Cycle {
            noticed,
            slowest_refusal,
            recovered,
            acknowledged: acknowledged.len(),
            lost: lost.len(),
            chain_intact: !broken,
        };
        println!(
            "| {cycle} | {:.1} s | {} ms | {:.1} s | {} | {} | {} |",
            c.noticed.as_secs_f64(),
            c.slowest_refusal.as_millis(),
            c.recovered.as_secs_f64(),
            c.acknowledged,
            c.lost,
            if c.chain_intact { "intact" } else { "BROKEN" }
        );
        all.push(c);
    }
    drop(server);
    drop(db);
    let held = all
        .iter()
        .all(|c| c.lost == 0 && c.chain_intact && c.slowest_refusal < Duration::from_secs(2));
    println!(
        "\n{cycles} outages: the server answered 503 within {:.1} s of each, came back within {:.1} s of the database, {} acknowledged reports, {} lost",
        all.iter()
            .map(|c| c.noticed)
            .max()
            .unwrap_or_default()
            .as_secs_f64(),
        all.iter()
            .map(|c| c.recovered)
            .max()
            .unwrap_or_default()
            .as_secs_f64(),
        acknowledged.len(),
        all.iter().map(|c| c.lost).max().unwrap_or_default()
    );
    Ok(held)
}
