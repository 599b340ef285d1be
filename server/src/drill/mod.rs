//! Drills against a real server process on SurrealKV, on loopback, bounded in time:
//! - `crash`: concurrent progress reports, SIGKILL at a random moment, again and again;
//!   after each kill, every report the server acknowledged must be in the database and
//!   the history's hash chain must verify;
//! - `soak`: mixed reads and writes for a set time; no errors, and memory must not grow;
//! - `outage`: on a SurrealDB server over ws://, the database killed and started again;
//!   pages must say so at once and the server must come back by itself.
//!
//! Both start this same binary with the demo city (`--demo`) in a folder of their own,
//! sign in through the sign-in form and act as the unit head and the central office do.

mod client;
pub mod crash;
pub mod outage;
pub mod soak;

use std::path::PathBuf;

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Drill {
    /// Kill the server mid-write `--cycles` times; check nothing acknowledged was lost.
    Crash {
        #[arg(long, default_value_t = 20)]
        cycles: u32,
        /// Concurrent writers.
        #[arg(long, default_value_t = 8)]
        writers: u32,
        /// Folder for the database and files (default: a new one under the temp folder).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Mixed reads and writes for `--minutes`; report errors, latency and memory.
    Soak {
        #[arg(long, default_value_t = 30.0)]
        minutes: f64,
        /// Concurrent users.
        #[arg(long, default_value_t = 16)]
        users: u32,
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Take the SurrealDB server away and bring it back `--cycles` times.
    Outage {
        #[arg(long, default_value_t = 3)]
        cycles: u32,
        /// The `surreal` binary (built by `.ci/surreal`).
        #[arg(long)]
        surreal: PathBuf,
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// A folder for one drill: the one asked for, or a new one under the temp folder.
fn folder(dir: Option<PathBuf>, name: &str) -> anyhow::Result<PathBuf> {
    let dir = dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("rectify-{name}-{}", std::process::id()))
    });
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Run a drill; `Ok(true)` when it held.
pub async fn run(drill: Drill, site_root: &str) -> anyhow::Result<bool> {
    match drill {
        Drill::Crash {
            cycles,
            writers,
            dir,
        } => crash::run(cycles, writers, &folder(dir, "crash")?, site_root).await,
        Drill::Soak {
            minutes,
            users,
            dir,
        } => soak::run(minutes, users, &folder(dir, "soak")?, site_root).await,
        Drill::Outage {
            cycles,
            surreal,
            dir,
        } => outage::run(cycles, &surreal, &folder(dir, "outage")?, site_root).await,
    }
}
