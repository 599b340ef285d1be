//! `rectify bench`: builds a synthetic province in a fresh database, measures what the
//! budgets of the README name, and prints one table. Loopback only; every step is
//! bounded. Exits with status 1 when a budget does not hold.

pub mod generate;
pub mod http;
pub mod measure;

use generate::Sizes;
use std::time::{Duration, Instant};

/// What a request says to have its page rendered, not served as kept (a reload).
pub const RENDER_AFRESH: &str = "no-cache";

/// `rectify bench` flags.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Items in the synthetic ledger.
    #[arg(long, default_value_t = 1_000_000)]
    pub items: usize,
    /// Units the items belong to.
    #[arg(long, default_value_t = 100_000)]
    pub units: usize,
    /// Districts the units belong to.
    #[arg(long, default_value_t = 100)]
    pub districts: usize,
    /// Where the fresh database goes (must not exist yet). Default: a new directory
    /// under the system's temporary directory, removed afterwards.
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
    /// Keep the database afterwards.
    #[arg(long)]
    pub keep: bool,
    /// Measure a database an earlier run kept (`--dir D --keep`) instead of generating
    /// one, at the sizes it was generated with (kept beside it in `D/sizes`).
    #[arg(long)]
    pub reuse: bool,
    /// Measure only these parts, comma-separated: dashboard, units, ledger, ticks, export,
    /// server (start-up, first load, the pages over HTTP, wrk, the server's memory).
    /// Default: all. Only the budgets of the parts measured are checked.
    #[arg(long, value_delimiter = ',', value_parser = Parts::NAMES)]
    pub only: Vec<String>,
    /// Seconds of each wrk run.
    #[arg(long, default_value_t = 10)]
    pub wrk_seconds: u32,
    /// wrk's connections.
    #[arg(long, default_value_t = 64)]
    pub connections: u32,
    /// How long to wait, at most, for the server to finish its background work (SurrealKV
    /// compacting the generated files) before reading its peak memory.
    #[arg(long, default_value_t = 900)]
    pub idle_wait_seconds: u64,
}

/// The parts of the benchmark a run measures.
#[derive(Clone, Debug, Default)]
pub struct Parts(Vec<String>);

impl Parts {
    pub const NAMES: [&'static str; 6] =
        ["dashboard", "units", "ledger", "ticks", "export", "server"];

    pub fn wants(&self, part: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|p| p == part)
    }
}

/// Durations of repeated runs.
#[derive(Clone, Debug)]
pub struct Timing {
    samples: Vec<Duration>,
}

impl Timing {
    pub fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        Timing { samples }
    }
    fn ms(&self, q: f64) -> f64 {
        let n = self.samples.len();
        if n == 0 {
            return 0.0;
        }
        let i = ((n as f64 * q).ceil() as usize).clamp(1, n) - 1;
        self.samples[i].as_secs_f64() * 1000.0
    }
    pub fn median_ms(&self) -> f64 {
        self.ms(0.5)
    }
    pub fn p99_ms(&self) -> f64 {
        self.ms(0.99)
    }
}

/// One line of the table.
pub struct Figure {
    pub what: String,
    pub value: String,
    pub budget: String,
    /// `None`: no budget.
    pub holds: Option<bool>,
}

impl Figure {
    /// A timing: the median (and the slowest 1% when repeated), against a budget for the
    /// median in milliseconds.
    pub fn ms(what: &str, t: Timing, budget: Option<f64>) -> Self {
        let value = if t.samples.len() > 1 {
            format!("{:.1} ms (p99 {:.1} ms)", t.median_ms(), t.p99_ms())
        } else {
            format!("{:.1} ms", t.median_ms())
        };
        Figure {
            what: what.into(),
            value,
            budget: budget.map(|b| format!("≤ {b} ms")).unwrap_or_default(),
            holds: budget.map(|b| t.median_ms() <= b),
        }
    }
    pub fn bytes(what: &str, n: u64, budget: Option<u64>) -> Self {
        let show = |n: u64| {
            if n >= 1 << 20 {
                format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
            } else {
                format!("{:.1} KiB", n as f64 / 1024.0)
            }
        };
        Figure {
            what: what.into(),
            value: show(n),
            budget: budget.map(|b| format!("≤ {}", show(b))).unwrap_or_default(),
            holds: budget.map(|b| n <= b),
        }
    }
    pub fn text(what: &str, value: String) -> Self {
        Figure {
            what: what.into(),
            value,
            budget: String::new(),
            holds: None,
        }
    }
    pub fn check(what: &str, value: String, budget: &str, holds: bool) -> Self {
        Figure {
            what: what.into(),
            value,
            budget: budget.into(),
            holds: Some(holds),
        }
    }
}

/// The table, Markdown, as the README and the issue notes carry it.
pub fn table(figures: &[Figure]) -> String {
    let mut out = String::from("| measured | value | budget | holds |\n|---|---|---|---|\n");
    for f in figures {
        let holds = match f.holds {
            Some(true) => "yes",
            Some(false) => "**NO**",
            None => "",
        };
        out.push_str(&format!(
            "| {} | {} | {} | {holds} |\n",
            f.what, f.value, f.budget
        ));
    }
    out
}

pub async fn run(args: BenchArgs, site_root: &str) -> anyhow::Result<bool> {
    let asked = Sizes {
        items: args.items,
        units: args.units.max(1),
        districts: args.districts.clamp(1, args.units.max(1)),
    };
    let (dir, temporary) = match &args.dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("rectify-bench-{}", std::process::id())),
            true,
        ),
    };
    if args.reuse {
        anyhow::ensure!(
            dir.exists(),
            "{} does not exist: nothing to reuse",
            dir.display()
        );
    } else {
        anyhow::ensure!(
            !dir.exists(),
            "{} exists already: the benchmark needs a fresh database",
            dir.display()
        );
        std::fs::create_dir_all(&dir)?;
    }
    // A reused database has the sizes it was generated with, whatever is asked now.
    let sizes_file = dir.join("sizes");
    let sizes = if args.reuse {
        std::fs::read_to_string(&sizes_file)
            .ok()
            .and_then(|text| {
                let n: Vec<usize> = text
                    .split_whitespace()
                    .filter_map(|w| w.parse().ok())
                    .collect();
                match n[..] {
                    [items, units, districts] => Some(Sizes {
                        items,
                        units,
                        districts,
                    }),
                    _ => None,
                }
            })
            .unwrap_or(asked)
    } else {
        std::fs::write(
            &sizes_file,
            format!("{} {} {}\n", asked.items, asked.units, asked.districts),
        )?;
        asked
    };
    let db_path = dir.join("db");
    let endpoint = format!("surrealkv://{}", db_path.display());
    let now = chrono::Utc::now();
    let parts = Parts(args.only.clone());
    let mut figures = vec![Figure::text(
        "ledger",
        format!(
            "{} items, {} units, {} districts, {} + {} accounts",
            sizes.items,
            sizes.units,
            sizes.districts,
            sizes.units,
            sizes.districts + 1
        ),
    )];

    let result = async {
        let (head_token, central_token) = {
            let db = app::db::connect(&app::db::DbConfig {
                endpoint: endpoint.clone(),
                ..app::db::DbConfig::in_memory()
            })
            .await?;
            let mut generated = None;
            if !args.reuse {
                eprintln!(
                    "generating {} items over {} units",
                    sizes.items, sizes.units
                );
                let started = Instant::now();
                let events = generate::generate(&db, sizes, now).await?;
                generated = Some(Instant::now());
                let took = started.elapsed().as_secs_f64();
                figures.push(Figure::text(
                    "generation (items, users, history events)",
                    format!(
                        "{took:.0} s, {:.0} items per second, {events} events",
                        sizes.items as f64 / took.max(0.001)
                    ),
                ));
            }
            figures
                .extend(measure::in_process(&db, sizes, now, &dir.join("scratch"), &parts, generated).await?);
            let token = |user: String| {
                let db = db.clone();
                async move {
                    app::auth::service::sign_in(&db, &user, generate::PASSWORD, chrono::Utc::now())
                        .await
                        .map(|s| s.token)
                        .map_err(|e| anyhow::anyhow!("sign-in of {user}: {e}"))
                }
            };
            let head = token(generate::unit_head(sizes.units / 2)).await?;
            let central = token(generate::CENTRAL.to_string()).await?;
            if parts.wants("server") {
                figures.extend(measure::per_request(&db, sizes, &head).await?);
            }
            // Closed, everything on disk, so the server can open it (and a kept database
            // has all that was generated).
            db.close().await?;
            // This process wrote the ledger, and SurrealKV merged what it wrote here: the
            // memory a server that writes as much (a year of a province, an import) needs.
            if generated.is_some() {
                figures.push(Figure::bytes(
                    "the generating process's memory, peak (VmHWM: writing, SurrealKV merging, the measurements above)",
                    measure::peak_rss(std::process::id()).unwrap_or(0),
                    Some(1 << 30),
                ));
            }
            (head, central)
        };
        if !parts.wants("server") {
            return anyhow::Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;

        eprintln!("starting the server on the generated database");
        let (server, startup) = http::start(&endpoint, site_root, &dir.join("files")).await?;
        figures.push(Figure::ms(
            "server start-up until it answers",
            Timing::of(vec![startup]),
            Some(2000.0),
        ));
        figures.extend(http::first_load(&server, &head_token).await?);
        // The dashboard first: it waits for the facts the server reads at start, in the
        // background, which would otherwise share the two cores with the timings after.
        figures.extend(http::dashboard_page(&server, &central_token).await?);
        figures.push(http::home_alone(&server, &head_token).await?);

        eprintln!("wrk: the unit head's home (kept, then rendered each time), the bare handler");
        let token = Some(head_token.as_str());
        let (n, secs) = (args.connections, args.wrk_seconds);
        let page = http::wrk(&server, "/", token, &[], n, secs)?;
        let afresh = format!("Cache-Control: {RENDER_AFRESH}");
        let rendered = http::wrk(&server, "/", token, &[afresh.as_str()], n, secs)?;
        let bare = http::wrk(&server, crate::BARE_PATH, token, &[], n, secs)?;
        // What rendering alone costs: the sign-in page reads nothing from the database.
        let sign_in = http::wrk(&server, "/login", None, &[afresh.as_str()], n, secs)?;
        let of_bare = |load: &http::Load| load.requests_per_second / bare.requests_per_second.max(0.001);
        let load = |load: &http::Load| {
            format!(
                "{:.0} req/s = {:.2}% of bare, p99 {:.1} ms, {} errors",
                load.requests_per_second,
                of_bare(load) * 100.0,
                load.p99.as_secs_f64() * 1000.0,
                load.errors
            )
        };
        figures.push(Figure::text(
            &format!("wrk, bare axum handler, {n} connections"),
            format!(
                "{:.0} req/s, p99 {:.1} ms, {} errors",
                bare.requests_per_second,
                bare.p99.as_secs_f64() * 1000.0,
                bare.errors
            ),
        ));
        figures.push(Figure::text(
            &format!("wrk, unit head's home rendered for each request ({RENDER_AFRESH}), {n} connections"),
            load(&rendered),
        ));
        figures.push(Figure::text(
            &format!("wrk, sign-in page rendered for each request (no database), {n} connections"),
            load(&sign_in),
        ));
        figures.push(Figure::text(
            &format!("wrk, unit head's home as asked again (kept page, rendered at most every 2 s), {n} connections"),
            load(&page),
        ));
        let ratio = of_bare(&page);
        figures.push(Figure::check(
            "  home as asked again / bare handler",
            format!("{:.2}%", ratio * 100.0),
            "≥ 40%",
            ratio >= 0.4 && page.errors == 0,
        ));
        figures.push(Figure::ms(
            "  home as asked again, p99 latency",
            Timing::of(vec![page.p99]),
            Some(20.0),
        ));
        let pid = server.pid();
        figures.push(Figure::bytes(
            "server memory after the run (RSS)",
            measure::rss(pid).unwrap_or(0),
            Some(1 << 30),
        ));
        eprintln!("waiting for the server to go idle (SurrealKV compacts in the background)");
        let idle = measure::until_idle(
            pid,
            Duration::from_secs(10),
            0.05,
            Duration::from_secs(args.idle_wait_seconds),
        )
        .await;
        figures.push(Figure::text(
            "server idle again after the run",
            match idle {
                Some(t) => format!("after {:.0} s", t.as_secs_f64()),
                None => format!("still busy after {} s", args.idle_wait_seconds),
            },
        ));
        figures.push(Figure::bytes(
            "server memory once idle (RSS)",
            measure::rss(pid).unwrap_or(0),
            Some(1 << 30),
        ));
        figures.push(Figure::bytes(
            "server memory, peak until then (VmHWM)",
            measure::peak_rss(pid).unwrap_or(0),
            Some(1 << 30),
        ));
        drop(server);
        anyhow::Ok(())
    }
    .await;

    if temporary && !args.keep && !args.reuse {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        eprintln!("the database is kept in {}", dir.display());
    }
    // What was measured is shown even when a later step failed.
    println!("{}", table(&figures));
    result?;
    let broken: Vec<&Figure> = figures.iter().filter(|f| f.holds == Some(false)).collect();
    for f in &broken {
        println!(
            "budget broken: {} = {} (budget {})",
            f.what.trim(),
            f.value,
            f.budget
        );
    }
    Ok(broken.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timings_and_the_table() {
        let t = Timing::of((1..=100).rev().map(Duration::from_millis).collect());
        assert_eq!(t.median_ms(), 50.0);
        assert_eq!(t.p99_ms(), 99.0);
        let ok = Figure::ms("fast", t.clone(), Some(60.0));
        let slow = Figure::ms("slow", t, Some(10.0));
        assert_eq!(ok.holds, Some(true));
        assert_eq!(slow.holds, Some(false));
        let text = table(&[
            ok,
            slow,
            Figure::bytes("wasm", 140 * 1024, Some(150 * 1024)),
        ]);
        assert!(text.contains("| fast | 50.0 ms (p99 99.0 ms) | ≤ 60 ms | yes |"));
        assert!(text.contains("| slow | 50.0 ms (p99 99.0 ms) | ≤ 10 ms | **NO** |"));
        assert!(text.contains("| wasm | 140.0 KiB | ≤ 150.0 KiB | yes |"));
    }
}
