//! The crash drill: writers report progress as fast as the server takes it; at a random
//! moment the server is killed with SIGKILL; the database is opened as it was left and
//! every acknowledged report must be there, the history's chain intact; the server is
//! started again on it, and so on.

use super::client::{self, Written};
use crate::bench::http;
use std::path::Path;
use std::time::{Duration, Instant};

/// A small deterministic generator for the kill moments (no crate for one number).
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// What one cycle found.
#[derive(Debug, Default)]
pub struct Cycle {
    pub acknowledged: usize,
    pub refused: usize,
    pub lost: Vec<String>,
    pub chain_events: usize,
    pub chain_broken: bool,
    pub killed_after_ms: u64,
}

/// Every acknowledged text must be a progress report in the database; the chain must
/// verify. Opened directly (the server is not running), or on a SurrealDB server.
pub async fn check(
    cfg: &app::db::DbConfig,
    acknowledged: &[String],
) -> anyhow::Result<(Vec<String>, usize, bool)> {
    // The killed process's lock is released by the kernel; SurrealKV may take a moment.
    let started = Instant::now();
    let db = loop {
        match app::db::connect(cfg).await {
            Ok(db) => break db,
            Err(_) if started.elapsed() < Duration::from_secs(60) => {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            Err(e) => anyhow::bail!("cannot open the database after the kill: {e}"),
        }
    };
    let found: Vec<String> = db
        .query("SELECT VALUE text FROM progress WHERE text IN $texts")
        .bind(("texts", acknowledged.to_vec()))
        .await?
        .check()?
        .take(0)?;
    let found: std::collections::HashSet<String> = found.into_iter().collect();
    let lost = acknowledged
        .iter()
        .filter(|t| !found.contains(*t))
        .cloned()
        .collect();
    let report = app::ledger::service::verify_ledger(&db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(db);
    Ok((lost, report.events as usize, report.first_break.is_some()))
}

pub async fn run(cycles: u32, writers: u32, dir: &Path, site_root: &str) -> anyhow::Result<bool> {
    let endpoint = format!("surrealkv://{}", dir.join("db").display());
    let files = dir.join("files");
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    let mut all = Vec::new();
    println!("| cycle | acknowledged | refused | lost | killed after | chain |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for cycle in 1..=cycles {
        let (mut server, _) = http::start_with(&endpoint, site_root, &files, &["--demo"]).await?;
        // The unit head and the unit's contact write side by side (each has their own
        // upload limit).
        let head = client::demo(&server.base, "unithead").await?;
        let handler = client::demo(&server.base, "handler").await?;
        let items = client::workable_items(&head).await?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = Vec::new();
        for w in 0..writers {
            let writer = if w % 2 == 0 {
                head.clone()
            } else {
                handler.clone()
            };
            let (items, stop) = (items.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                let (mut acked, mut refused) = (Vec::new(), 0usize);
                let mut n = 0usize;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    n += 1;
                    let item = &items[(w as usize + n) % items.len()];
                    let text = format!("drill c{cycle} w{w} n{n}");
                    match writer.report_progress(item, &text).await {
                        Ok(Written::Saved) => acked.push(text),
                        // Refused (over the upload limit): not acknowledged, not expected.
                        Ok(Written::Refused(_)) => refused += 1,
                        // The server is gone: what was not acknowledged may or may not be
                        // there, and need not be.
                        Err(_) => break,
                    }
                }
                (acked, refused)
            }));
        }
        let wait = 300 + next(&mut seed) % 2_700;
        tokio::time::sleep(Duration::from_millis(wait)).await;
        server.kill();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut result = Cycle {
            killed_after_ms: wait,
            ..Cycle::default()
        };
        let mut acknowledged = Vec::new();
        for t in tasks {
            let (acked, refused) = t.await?;
            acknowledged.extend(acked);
            result.refused += refused;
        }
        drop(server);
        result.acknowledged = acknowledged.len();
        let cfg = app::db::DbConfig {
            endpoint: endpoint.clone(),
            ..app::db::DbConfig::in_memory()
        };
        let (lost, events, broken) = check(&cfg, &acknowledged).await?;
        result.lost = lost;
        result.chain_events = events;
        result.chain_broken = broken;
        println!(
            "| {cycle} | {} | {} | {} | {} ms | {} events, {} |",
            result.acknowledged,
            result.refused,
            result.lost.len(),
            result.killed_after_ms,
            result.chain_events,
            if result.chain_broken {
                "BROKEN"
            } else {
                "intact"
            }
        );
        all.push(result);
    }
    let acknowledged: usize = all.iter().map(|c| c.acknowledged).sum();
    let lost: usize = all.iter().map(|c| c.lost.len()).sum();
    let broken = all.iter().filter(|c| c.chain_broken).count();
    println!(
        "\n{cycles} kills, {acknowledged} acknowledged progress reports, {lost} lost, chain broken after {broken} kills"
    );
    for c in all.iter().filter(|c| !c.lost.is_empty()) {
        println!("lost: {:?}", c.lost);
    }
    Ok(lost == 0 && broken == 0 && acknowledged > 0)
}
