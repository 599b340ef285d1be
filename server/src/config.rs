//! Configuration by flags and environment.

use app::db::DbConfig;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;

#[derive(Parser, Debug)]
#[command(
    name = "rectify",
    version,
    about = "整改通 · Rectify: the staffing rectification ledger"
)]
pub struct Cli {
    #[command(flatten)]
    pub options: Options,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Serve the app (the default).
    Serve,
    /// Create an administrator account. The password is read from
    /// RECTIFY_ADMIN_PASSWORD or, if unset, from the first line of standard input.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
    },
    /// Check the hash chain of the ledger's history and report the first broken link.
    /// Exits with status 1 when the chain is broken.
    VerifyLedger,
    /// Write the whole database (every definition and record) to one SurrealQL file.
    /// Evidence files live in the files folder: copy it beside the backup.
    Backup {
        /// The file to write.
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Load a backup into a new, empty database (refused when it is not empty), then
    /// bring its schema up to this version.
    Restore {
        /// The backup file to read.
        #[arg(long)]
        from: std::path::PathBuf,
    },
    /// Drills against a real server process on loopback: kills mid-write (`crash`) and a
    /// long mixed load (`soak`). Exit status 1 when one does not hold (see the README).
    #[command(subcommand)]
    Drill(crate::drill::Drill),
    /// Build a synthetic ledger in a fresh database, measure the budgets and print one
    /// table (see the README). Exits with status 1 when a budget does not hold.
    Bench(crate::bench::BenchArgs),
}

#[derive(clap::Args, Debug, Clone)]
pub struct Options {
    /// Address to listen on.
    #[arg(long, env = "RECTIFY_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Database: surrealkv://PATH (embedded, on disk), mem:// (in memory) or ws://HOST:PORT (a SurrealDB server).
    #[arg(long, env = "RECTIFY_DB", default_value = "surrealkv://data/rectify")]
    pub db: String,
    #[arg(long, env = "RECTIFY_DB_NAMESPACE", default_value = "rectify")]
    pub db_namespace: String,
    #[arg(long, env = "RECTIFY_DB_DATABASE", default_value = "main")]
    pub db_database: String,
    /// Root user of a SurrealDB server (ws:// only).
    #[arg(long, env = "RECTIFY_DB_USER")]
    pub db_user: Option<String>,
    #[arg(long, env = "RECTIFY_DB_PASSWORD", hide_env_values = true)]
    pub db_password: Option<String>,
    /// Load the demo city and show the demo accounts on the sign-in page.
    #[arg(long, env = "RECTIFY_DEMO")]
    pub demo: bool,
    /// Log filter, e.g. info, debug, app=debug.
    #[arg(long, env = "RECTIFY_LOG", default_value = "info")]
    pub log: String,
    /// Where the built site (pkg/, icons, service worker) is.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
    /// Seconds between two runs of the reminder scheduler (0: no scheduler in this
    /// instance). Several instances may all run it: each reminder is delivered once.
    #[arg(long, env = "RECTIFY_TICK_SECONDS", default_value_t = 30)]
    pub tick_seconds: u64,
    /// Where evidence files are kept. Default: `data/files`, or a temporary directory
    /// when the database is in memory.
    #[arg(long, env = "RECTIFY_FILES")]
    pub files: Option<std::path::PathBuf>,
    /// The contact named in Web Push (VAPID) tokens: a `mailto:` or `https:` address of
    /// whoever runs this deployment; push services may write to it about problems.
    #[arg(
        long,
        env = "RECTIFY_PUSH_CONTACT",
        default_value = "mailto:admin@localhost"
    )]
    pub push_contact: String,
    /// The address users open the app at (e.g. https://zgt.example.gov.cn), for links in
    /// WeChat Work and DingTalk messages. Without it those messages carry no links.
    #[arg(long, env = "RECTIFY_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Push services beyond the browsers' own (FCM, Mozilla, Apple, Windows) that
    /// devices' pushes may go to, e.g. one inside the government network: host names,
    /// comma-separated; each covers the domains under it.
    #[arg(
        long = "push-service",
        env = "RECTIFY_PUSH_SERVICES",
        value_delimiter = ','
    )]
    pub push_service: Vec<String>,
    /// The reverse proxies in front of the app, whose `X-Forwarded-For` entries are
    /// believed: addresses or networks, comma-separated. Default: a proxy on this
    /// machine (127.0.0.0/8, ::1).
    #[arg(
        long = "trusted-proxy",
        env = "RECTIFY_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxy: Vec<String>,
    /// Mark cookies Secure even without X-Forwarded-Proto: https (behind a TLS proxy).
    #[arg(long, env = "RECTIFY_SECURE_COOKIES")]
    pub secure_cookies: bool,
}

impl Options {
    /// The proxies whose `X-Forwarded-For` is believed.
    pub fn trusted_proxies(&self) -> anyhow::Result<crate::client_address::TrustedProxies> {
        if self.trusted_proxy.is_empty() {
            return Ok(Default::default());
        }
        crate::client_address::TrustedProxies::parse(&self.trusted_proxy)
            .map_err(|e| anyhow::anyhow!("--trusted-proxy: {e}"))
    }

    /// Where devices' pushes may be sent.
    pub fn push_services(&self) -> app::reminders::push_services::PushServices {
        app::reminders::push_services::PushServices::with(&self.push_service)
    }

    /// The evidence directory, made absolute and created.
    pub fn files_dir(&self) -> std::io::Result<std::path::PathBuf> {
        let dir = match &self.files {
            Some(d) => d.clone(),
            None if self.db.starts_with("mem://") => {
                std::env::temp_dir().join(format!("rectify-files-{}", std::process::id()))
            }
            None => "data/files".into(),
        };
        let dir = if dir.is_absolute() {
            dir
        } else {
            std::env::current_dir()?.join(dir)
        };
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// The database settings, with a relative SurrealKV path made absolute.
    pub fn db_config(&self) -> std::io::Result<DbConfig> {
        let endpoint = match self.db.strip_prefix("surrealkv://") {
            Some(path) if !path.starts_with('/') => {
                let abs = std::env::current_dir()?.join(path);
                if let Some(parent) = abs.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                format!("surrealkv://{}", abs.display())
            }
            _ => self.db.clone(),
        };
        Ok(DbConfig {
            endpoint,
            namespace: self.db_namespace.clone(),
            database: self.db_database.clone(),
            username: self.db_user.clone(),
            password: self.db_password.clone(),
        })
    }
}
