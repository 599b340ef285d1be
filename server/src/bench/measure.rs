//! Timings taken inside the benchmark's own process, through the app's service functions
//! on the generated database: what a page costs before it is rendered.

use super::generate::{self, EXPORT_SOURCE, SEARCH_WORDS, Sizes};
use super::{Figure, Parts, Timing};
use app::auth::{Role, Scope, SessionUser};
use app::db::Db;
use app::ledger::ItemFilter;
use app::ledger::calendar::format_date;
use chrono::{DateTime, Utc};
use std::time::{Duration, Instant};

fn central() -> SessionUser {
    SessionUser {
        id: generate::CENTRAL.into(),
        username: generate::CENTRAL.into(),
        display_name: "市编办".into(),
        role: Role::CentralOffice,
        scope: Scope::Everything,
    }
}

fn district_office(i: usize) -> SessionUser {
    SessionUser {
        id: generate::district_office(i),
        username: generate::district_office(i),
        display_name: format!("第{i}区编办"),
        role: Role::DistrictOffice,
        scope: Scope::District {
            id: generate::district_key(i),
            name: format!("第{i}区"),
        },
    }
}

fn unit_head(i: usize, sizes: Sizes) -> SessionUser {
    let d = i % sizes.districts;
    SessionUser {
        id: generate::unit_head(i),
        username: generate::unit_head(i),
        display_name: format!("单位{i}负责人"),
        role: Role::UnitHead,
        scope: Scope::Unit {
            id: generate::unit_key(i),
            name: format!("单位{i}"),
            district_id: generate::district_key(d),
            district_name: format!("第{d}区"),
        },
    }
}

fn err(e: app::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// No single call is waited for longer: the benchmark is bounded.
const CALL_LIMIT: std::time::Duration = std::time::Duration::from_secs(180);

/// Scheduler runs at `now`, one after another, until one leaves nothing for the next (as
/// the scheduler does with a backlog): how long each took, and what they delivered.
async fn ticks_until_done(db: &Db, now: DateTime<Utc>) -> anyhow::Result<(Vec<Duration>, usize)> {
    let mut took = Vec::new();
    let mut delivered = 0;
    loop {
        let started = Instant::now();
        let ran = app::reminders::service::tick_with(db, "bench", now, None)
            .await
            .map_err(err)?;
        took.push(started.elapsed());
        delivered += ran.digests.iter().map(|d| d.reminders.len()).sum::<usize>();
        if !ran.more || took.iter().sum::<Duration>() > CALL_LIMIT * 10 {
            return Ok((took, delivered));
        }
    }
}

/// The slowest of a series of scheduler runs against the budget of one run.
fn ticks_figure(what: &str, (took, delivered): &(Vec<Duration>, usize)) -> Figure {
    let slowest = took.iter().max().copied().unwrap_or_default();
    let all: Duration = took.iter().sum();
    Figure {
        what: what.into(),
        value: format!(
            "{} run(s), slowest {:.1} ms, {:.1} s in all, {delivered} reminders",
            took.len(),
            slowest.as_secs_f64() * 1000.0,
            all.as_secs_f64()
        ),
        budget: "≤ 1000 ms each".into(),
        holds: Some(slowest <= Duration::from_secs(1)),
    }
}

/// Time `runs` calls of `f`. A call that takes longer than [`CALL_LIMIT`] is stopped and
/// counted as taking the limit, and no more calls are made.
async fn time<F, Fut, T>(runs: usize, mut f: F) -> anyhow::Result<Timing>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut samples = Vec::with_capacity(runs);
    for run in 0..runs {
        let started = Instant::now();
        match tokio::time::timeout(CALL_LIMIT, f(run)).await {
            Ok(result) => {
                result?;
                samples.push(started.elapsed());
            }
            Err(_) => {
                eprintln!("  stopped after {} s", CALL_LIMIT.as_secs());
                samples.push(CALL_LIMIT);
                break;
            }
        }
    }
    Ok(Timing::of(samples))
}

/// A pseudo-random unit for run `run`, spread over the whole province.
fn some_unit(run: usize, sizes: Sizes) -> usize {
    (run * 7_919 + 13) % sizes.units
}

/// The peak resident memory of this process so far, in bytes.
pub fn peak_rss(pid: u32) -> Option<u64> {
    proc_status_kb(pid, "VmHWM:").map(|kb| kb * 1024)
}

/// The resident memory of a process now, in bytes.
pub fn rss(pid: u32) -> Option<u64> {
    proc_status_kb(pid, "VmRSS:").map(|kb| kb * 1024)
}

/// The processor time a process has used so far (user and system), from
/// `/proc/PID/stat` in the kernel's clock ticks (USER_HZ, 100 a second on Linux).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command's name is in parentheses and may hold spaces: count from after it.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    // utime and stime are the 14th and 15th fields; the 3rd is the first after ')'.
    Some(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
}

/// Wait until a process has been idle, under `busy_share` of one core for `quiet`
/// in a row, or until `limit`: how long it took, or `None` when it never went quiet.
/// The server compacts SurrealKV's files in the background long after the requests end,
/// and its peak memory is only known once that is done.
pub async fn until_idle(
    pid: u32,
    quiet: Duration,
    busy_share: f64,
    limit: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    let step = Duration::from_secs(1);
    let mut calm = Duration::ZERO;
    let mut before = cpu_time(pid)?;
    while started.elapsed() < limit {
        tokio::time::sleep(step).await;
        let now = cpu_time(pid)?;
        let used = now.saturating_sub(before).as_secs_f64() / step.as_secs_f64();
        before = now;
        calm = if used < busy_share {
            calm + step
        } else {
            Duration::ZERO
        };
        if calm >= quiet {
            return Some(started.elapsed());
        }
    }
    None
}

fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// What one request of the unit head's home costs in the database, piece by piece: the
/// yardstick for the rendered page's requests per second.
pub async fn per_request(db: &Db, sizes: Sizes, token: &str) -> anyhow::Result<Vec<Figure>> {
    let head = unit_head(sizes.units / 2, sizes);
    let now = chrono::Utc::now();
    let trivial = time(200, |_| async {
        db.query("RETURN 1").await?.check()?;
        anyhow::Ok(())
    })
    .await?;
    let session = time(200, |_| async {
        app::auth::service::resolve_session(db, token, now)
            .await
            .map_err(err)
    })
    .await?;
    let unread = time(200, |_| async {
        app::reminders::service::unread_count(db, &head)
            .await
            .map_err(err)
    })
    .await?;
    // The central office hears of every item overdue a week: tens of thousands unread.
    let everyone = central();
    let unread_central = time(200, |_| async {
        app::reminders::service::unread_count(db, &everyone)
            .await
            .map_err(err)
    })
    .await?;
    Ok(vec![
        Figure::ms(
            "  per request: the cheapest query (RETURN 1)",
            trivial,
            None,
        ),
        Figure::ms("  per request: session and user", session, None),
        Figure::ms("  per request: unread reminders", unread, None),
        Figure::ms(
            "  per request: unread reminders, central office",
            unread_central,
            None,
        ),
    ])
}

/// Everything measured in-process, in the order of the table.
pub async fn in_process(
    db: &Db,
    sizes: Sizes,
    now: DateTime<Utc>,
    scratch: &std::path::Path,
    parts: &Parts,
    generated: Option<Instant>,
) -> anyhow::Result<Vec<Figure>> {
    let mut out = Vec::new();
    let me = central();

    // What a server reads at start, in the background (`stats::facts::warm`): the
    // dashboard, the central ledger, the export and the weekly summary count from it.
    if ["dashboard", "ledger", "ticks", "export"]
        .iter()
        .any(|p| parts.wants(p))
    {
        eprintln!("reading the statistics facts");
        let read = time(1, |_| async {
            app::stats::facts::current(db).await.map(drop).map_err(err)
        })
        .await?;
        out.push(Figure::ms(
            "statistics facts read (a server does this at start, in the background)",
            read,
            None,
        ));
        // Each catch-up of the facts reads again what was written in its last 30 s
        // (`OVERLAP_SECONDS`, for transactions that commit late): just after the
        // generator's burst (2,000 items a second) that is tens of thousands of items a
        // view. A province's server writes a few items a minute: what follows is measured
        // once the generated writes are older than that.
        if let Some(generated) = generated {
            let overlap = app::stats::facts::OVERLAP_SECONDS.unsigned_abs();
            let settled = generated + Duration::from_secs(overlap + 1);
            let wait = settled.saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                eprintln!(
                    "waiting {:.0} s for the generated writes to settle",
                    wait.as_secs_f64()
                );
                tokio::time::sleep(wait).await;
            }
            out.push(Figure::text(
                &format!(
                    "then waited until the generated writes were over {overlap} s old (the facts read the last {overlap} s again)"
                ),
                format!("{:.1} s", wait.as_secs_f64()),
            ));
        }
    }

    if parts.wants("dashboard") {
        eprintln!("measuring the dashboard");
        let first = time(1, |_| async {
            app::stats::service::dashboard(db, &me, now)
                .await
                .map_err(err)
        })
        .await?;
        out.push(Figure::ms(
            "dashboard, city, first call (counts the city, once a day)",
            first,
            None,
        ));
        let warm = time(20, |_| async {
            app::stats::service::dashboard(db, &me, now)
                .await
                .map_err(err)
        })
        .await?;
        let totals = app::stats::service::dashboard(db, &me, now)
            .await
            .map_err(err)?
            .totals;
        out.push(Figure::ms("dashboard, city (20 calls)", warm, Some(100.0)));
        out.push(Figure::text(
            "dashboard totals (found / open / overdue)",
            format!("{} / {} / {}", totals.found, totals.open, totals.overdue),
        ));
        let district = time(20, |run| {
            let user = district_office(run % sizes.districts);
            async move {
                app::stats::service::dashboard(db, &user, now)
                    .await
                    .map_err(err)
            }
        })
        .await?;
        out.push(Figure::ms(
            "dashboard, one district (20 districts)",
            district,
            Some(100.0),
        ));
    }

    if parts.wants("units") {
        eprintln!("measuring a unit's list");
        let units = time(200, |run| {
            let user = unit_head(some_unit(run, sizes), sizes);
            async move {
                app::ledger::service::unit_items(db, &user, now)
                    .await
                    .map_err(err)
            }
        })
        .await?;
        out.push(Figure::ms(
            "a unit's open items (200 units)",
            units,
            Some(5.0),
        ));
    }

    if parts.wants("ledger") {
        eprintln!("measuring the central ledger");
        let filtered = ItemFilter {
            district: generate::district_key(3),
            category: "over_establishment".into(),
            status: "open".into(),
            ..ItemFilter::default()
        };
        let page = time(5, |_| async {
            app::ledger::service::list_items(db, &me, &filtered, now)
                .await
                .map_err(err)
        })
        .await?;
        out.push(Figure::ms(
            "central ledger, filtered page (district + category + open)",
            page,
            None,
        ));
        let everything = time(3, |_| async {
            app::ledger::service::list_items(db, &me, &ItemFilter::default(), now)
                .await
                .map_err(err)
        })
        .await?;
        out.push(Figure::ms(
            "central ledger, first page of all",
            everything,
            None,
        ));
        let search = ItemFilter {
            q: SEARCH_WORDS.into(),
            ..ItemFilter::default()
        };
        let found = app::ledger::service::list_items(db, &me, &search, now)
            .await
            .map_err(err)?
            .total;
        let searching = time(3, |_| async {
            app::ledger::service::list_items(db, &me, &search, now)
                .await
                .map_err(err)
        })
        .await?;
        out.push(Figure::ms(
            &format!("search \"{SEARCH_WORDS}\" ({found} found)"),
            searching,
            None,
        ));
    }

    if parts.wants("ticks") {
        eprintln!("measuring reminder ticks");
        // Whatever came before (on a new database: the catch-up days), planned and
        // delivered, in as many runs as it takes.
        let catching_up = ticks_until_done(db, now).await?;
        out.push(ticks_figure(
            "reminder ticks, catching up (a new database: four days)",
            &catching_up,
        ));
        // A new day: the next one, as the scheduler meets it after midnight (today's
        // runs done, none of tomorrow's reminders planned; a reused database may hold
        // them from an earlier run, and loses them here). Not by deleting and planning
        // today again: one transaction deleting a day's reminders (about 250,000 keys
        // with their indexes) held some 300 MiB, more than the runs it prepared.
        let tomorrow = now + chrono::Duration::days(1);
        db.query(
            "UPDATE reminder_plan:state SET day = $today, at = time::now(), todo = [];
             DELETE reminder WHERE day = $tomorrow;",
        )
        .bind(("today", format_date(app::ledger::calendar::today(now))))
        .bind((
            "tomorrow",
            format_date(app::ledger::calendar::today(tomorrow)),
        ))
        .await?
        .check()?;
        let new_day = ticks_until_done(db, tomorrow).await?;
        out.push(ticks_figure("reminder ticks of a new day", &new_day));
        let later = time(3, |run| async move {
            let at = tomorrow + chrono::Duration::seconds(30 * (run as i64 + 1));
            app::reminders::service::tick(db, "bench", at)
                .await
                .map_err(err)
        })
        .await?;
        out.push(Figure::ms(
            "reminder tick, the next ones (30 s apart)",
            later,
            Some(1000.0),
        ));
    }

    if parts.wants("export") {
        eprintln!("measuring the Excel export");
        // Twice: the first run also fills SurrealKV's block cache (bounded, 192 MiB) with
        // the items it reads; the second shows what the export itself holds.
        for run in ["first", "second"] {
            let Some(export) = export_once(db, &me, now, scratch).await? else {
                out.push(Figure::ms(
                    "Excel export (stopped)",
                    Timing::of(vec![CALL_LIMIT]),
                    Some(10_000.0),
                ));
                return Ok(out);
            };
            out.push(Figure::ms(
                &format!(
                    "Excel export, {} rows ({:.1} MB file), {run} run",
                    export.rows,
                    export.bytes as f64 / 1e6
                ),
                Timing::of(vec![export.took]),
                Some(10_000.0),
            ));
            out.push(Figure::bytes(
                &format!("  {run} run: highest memory above its start (sampled every 20 ms)"),
                export.grew,
                None,
            ));
        }
    }

    Ok(out)
}

/// One Excel export of the benchmark's rows, as timed and sampled.
struct Export {
    took: std::time::Duration,
    rows: usize,
    bytes: u64,
    /// The highest resident memory while it ran, above the memory when it started.
    grew: u64,
}

/// Runs the export once (`None`: stopped at the call limit).
async fn export_once(
    db: &Db,
    me: &SessionUser,
    now: DateTime<Utc>,
    scratch: &std::path::Path,
) -> anyhow::Result<Option<Export>> {
    let me_pid = std::process::id();
    let rss_before = rss(me_pid).unwrap_or(0);
    let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let running = running.clone();
        std::thread::spawn(move || {
            let mut highest = 0;
            while running.load(std::sync::atomic::Ordering::Relaxed) {
                highest = highest.max(rss(me_pid).unwrap_or(0));
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            highest
        })
    };
    let filter = ItemFilter {
        source: EXPORT_SOURCE.into(),
        ..ItemFilter::default()
    };
    let started = Instant::now();
    let done = tokio::time::timeout(
        CALL_LIMIT,
        app::exchange::export::export_ledger(db, me, &filter, now, scratch),
    )
    .await;
    running.store(false, std::sync::atomic::Ordering::Relaxed);
    let highest = sampler.join().unwrap_or(0);
    let Ok(done) = done else {
        return Ok(None);
    };
    let (file, rows) = done.map_err(err)?;
    let took = started.elapsed();
    let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&file);
    Ok(Some(Export {
        took,
        rows,
        bytes,
        grew: highest.saturating_sub(rss_before),
    }))
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn processor_time_of_this_process_grows_with_work() {
        let me = std::process::id();
        let before = cpu_time(me).expect("/proc/self/stat is readable");
        // Work until the kernel has counted 50 ms more (bounded: a loaded machine may
        // give this thread little of its time).
        let started = Instant::now();
        let mut x = 0u64;
        let mut after = before;
        while after < before + Duration::from_millis(50)
            && started.elapsed() < Duration::from_secs(30)
        {
            for _ in 0..1_000_000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
            after = cpu_time(me).expect("/proc/self/stat is readable");
        }
        assert!(
            after >= before + Duration::from_millis(50),
            "{before:?} → {after:?}"
        );
        // Never more than the threads of this process could have used meanwhile.
        let threads = std::thread::available_parallelism().map_or(64, |n| n.get() as u32 * 8);
        assert!(after - before <= started.elapsed() * threads + Duration::from_millis(20));
    }
}
