//! The soak drill: unit heads and the central office at work for a set time (pages,
//! lists, progress reports, comments), every answer checked, the server's memory sampled.

use super::client::{self, Client, Written};
use crate::bench::http;
use crate::bench::measure::rss;
use std::path::Path;
use std::time::{Duration, Instant};

/// One user's tally.
#[derive(Debug, Default)]
struct Tally {
    requests: usize,
    writes: usize,
    errors: Vec<String>,
    micros: Vec<u64>,
}

async fn timed<T: std::fmt::Debug>(
    tally: &mut Tally,
    what: &str,
    f: impl std::future::Future<Output = anyhow::Result<T>>,
    ok: impl Fn(&T) -> bool,
) {
    let started = Instant::now();
    let result = f.await;
    tally.micros.push(started.elapsed().as_micros() as u64);
    tally.requests += 1;
    match result {
        Ok(v) if ok(&v) => {}
        Ok(v) => tally
            .errors
            .push(format!("{what}: unexpected answer {v:?}")),
        Err(e) => tally.errors.push(format!("{what}: {e}")),
    }
}

/// A user's pause between two actions (people read what they opened).
const THINK: Duration = Duration::from_millis(200);

/// The soak's users share three accounts; the server takes 60 uploads a minute per
/// account. Writes of one account are spaced so they stay under it (as people's do): a
/// user whose turn to write comes too early reads instead.
const WRITE_EVERY: Duration = Duration::from_millis(1_250);

/// When an account may write next.
#[derive(Debug)]
struct Pace(std::sync::Mutex<Instant>);

impl Pace {
    fn new() -> std::sync::Arc<Pace> {
        std::sync::Arc::new(Pace(std::sync::Mutex::new(Instant::now())))
    }

    /// Take the account's next write, if it is due.
    fn take(&self) -> bool {
        let Ok(mut next) = self.0.lock() else {
            return false;
        };
        let now = Instant::now();
        if now < *next {
            return false;
        }
        *next = now + WRITE_EVERY;
        true
    }
}

/// One user's work until `until`: the unit's people read their home and items and report
/// progress; the central office reads the ledger and the dashboard and comments. One
/// action in ten writes (when the account's pace allows).
async fn work(
    who: Client,
    pace: std::sync::Arc<Pace>,
    central: bool,
    items: Vec<String>,
    until: Instant,
    n: u32,
) -> Tally {
    let mut t = Tally::default();
    let mut step = 0usize;
    while Instant::now() < until {
        step += 1;
        tokio::time::sleep(THINK).await;
        let item = items[step % items.len()].clone();
        let mut turn = step % 10;
        if turn == 0 && !pace.take() {
            turn = 9;
        }
        match (central, turn) {
            (false, 0) => {
                t.writes += 1;
                let text = format!("soak u{n} s{step}");
                timed(
                    &mut t,
                    "report_progress",
                    who.report_progress(&item, &text),
                    |w| *w == Written::Saved,
                )
                .await
            }
            (false, 1 | 3 | 5 | 7) => timed(&mut t, "home", who.page("/"), |s| *s == 200).await,
            (false, _) => {
                timed(&mut t, "my_items", who.call("my_items", &[]), |v| {
                    v.is_array()
                })
                .await
            }
            (true, 0) => {
                t.writes += 1;
                let text = format!("soak c{n} s{step}");
                timed(&mut t, "comment", who.comment(&item, &text), |w| {
                    *w == Written::Saved
                })
                .await
            }
            (true, 1 | 5) => {
                timed(&mut t, "dashboard", who.page("/dashboard"), |s| *s == 200).await
            }
            (true, 2 | 6) => timed(&mut t, "ledger page", who.page("/ledger"), |s| *s == 200).await,
            (true, _) => {
                timed(
                    &mut t,
                    "ledger_page",
                    who.call("ledger_page", &[("filter[status]", "open")]),
                    |v| v.is_object(),
                )
                .await
            }
        }
    }
    t
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

/// Memory is flat when the late samples are no more than 10 % (plus 32 MiB of slack for
/// the allocator) above the early ones, after a warm-up.
pub fn flat(samples: &[u64]) -> (u64, u64, bool) {
    let n = samples.len();
    if n < 5 {
        return (0, 0, true);
    }
    let early = samples[n / 5..(2 * n / 5).max(n / 5 + 1)]
        .iter()
        .copied()
        .max()
        .unwrap_or(0);
    let late = samples[4 * n / 5..].iter().copied().max().unwrap_or(0);
    let ok = late as f64 <= early as f64 * 1.10 + 32.0 * 1024.0 * 1024.0;
    (early, late, ok)
}

pub async fn run(minutes: f64, users: u32, dir: &Path, site_root: &str) -> anyhow::Result<bool> {
    let endpoint = format!("surrealkv://{}", dir.join("db").display());
    let (server, started_in) =
        http::start_with(&endpoint, site_root, &dir.join("files"), &["--demo"]).await?;
    let head = client::demo(&server.base, "unithead").await?;
    let handler = client::demo(&server.base, "handler").await?;
    let central = client::demo(&server.base, "central").await?;
    let items = client::workable_items(&head).await?;
    let duration = Duration::from_secs_f64(minutes * 60.0);
    let until = Instant::now() + duration;
    let mut tasks = Vec::new();
    let paces = [Pace::new(), Pace::new(), Pace::new()];
    for n in 0..users {
        // One in four is the central office; the others the unit's head and contact.
        let is_central = n % 4 == 3;
        let (who, pace) = match (is_central, n % 2) {
            (true, _) => (central.clone(), &paces[0]),
            (false, 0) => (head.clone(), &paces[1]),
            (false, _) => (handler.clone(), &paces[2]),
        };
        tasks.push(tokio::spawn(work(
            who,
            pace.clone(),
            is_central,
            items.clone(),
            until,
            n,
        )));
    }
    let pid = server.pid();
    let mut samples = Vec::new();
    while Instant::now() < until {
        if let Some(r) = rss(pid) {
            samples.push(r);
        }
        tokio::time::sleep(Duration::from_secs(5).min(duration / 20)).await;
    }
    let mut total = Tally::default();
    for t in tasks {
        let t = t.await?;
        total.requests += t.requests;
        total.writes += t.writes;
        total.errors.extend(t.errors);
        total.micros.extend(t.micros);
    }
    if let Some(r) = rss(pid) {
        samples.push(r);
    }
    drop(server);
    total.micros.sort_unstable();
    let (early, late, memory_flat) = flat(&samples);
    let mib = |b: u64| b as f64 / 1024.0 / 1024.0;
    println!("| soak, {minutes} min, {users} users | value |");
    println!("| --- | --- |");
    println!("| server start-up | {} ms |", started_in.as_millis());
    println!(
        "| requests (writes) | {} ({}) |",
        total.requests, total.writes
    );
    println!(
        "| requests per second | {:.1} |",
        total.requests as f64 / duration.as_secs_f64()
    );
    println!("| errors | {} |", total.errors.len());
    println!(
        "| latency p50 / p99 / max | {:.1} / {:.1} / {:.1} ms |",
        percentile(&total.micros, 0.5),
        percentile(&total.micros, 0.99),
        percentile(&total.micros, 1.0)
    );
    println!(
        "| server RSS after warm-up / at the end (max of each fifth) | {:.0} / {:.0} MiB ({}) |",
        mib(early),
        mib(late),
        if memory_flat { "flat" } else { "GROWING" }
    );
    let mut kinds = std::collections::BTreeMap::new();
    for e in &total.errors {
        *kinds.entry(e.as_str()).or_insert(0usize) += 1;
    }
    for (e, count) in kinds {
        println!("error ({count}×): {e}");
    }
    if !total.errors.is_empty() {
        println!("the server's log: {}", dir.join("server.log").display());
    }
    Ok(total.errors.is_empty() && memory_flat && total.requests > 0)
}

#[cfg(test)]
mod tests {
    use super::flat;

    #[test]
    fn memory_is_flat_unless_the_late_samples_grow() {
        const MIB: u64 = 1024 * 1024;
        let steady: Vec<u64> = (0..20).map(|i| (200 + i % 3) * MIB).collect();
        assert!(flat(&steady).2);
        let growing: Vec<u64> = (0..20).map(|i| (200 + 20 * i) * MIB).collect();
        assert!(!flat(&growing).2);
        assert!(flat(&[1, 2]).2, "too few samples to judge");
    }
}
