//! Measured from outside: the server started as its own process on the generated
//! database, timed until it answers, its first-load bytes as a phone receives them, wrk
//! against a rendered page and against a bare handler, and its memory.

use super::{Figure, Timing};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server under test; killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, as a power cut or the kernel's OOM killer would: no shutdown code runs.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port on loopback.
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?)
}

/// Start this same binary as the server on `db` and time it until it answers.
pub async fn start(
    db: &str,
    site_root: &str,
    files: &std::path::Path,
) -> anyhow::Result<(Server, Duration)> {
    start_with(db, site_root, files, &[]).await
}

/// [`start`] with more flags (e.g. `--demo`).
pub async fn start_with(
    db: &str,
    site_root: &str,
    files: &std::path::Path,
    extra: &[&str],
) -> anyhow::Result<(Server, Duration)> {
    // The benchmark's own handle on the database lets go of its lock a moment after it
    // is dropped (a million items take a while to flush): try again until then.
    let waiting = Instant::now();
    loop {
        match start_once(db, site_root, files, extra).await? {
            Some(started) => return Ok(started),
            None if waiting.elapsed() < Duration::from_secs(300) => {
                tokio::time::sleep(Duration::from_secs(1)).await
            }
            None => anyhow::bail!("the database stayed locked for 5 minutes"),
        }
    }
}

/// The server's warnings and errors go to `server.log` beside its files folder (kept
/// across restarts), so a drill's unexpected answer can be traced.
fn server_log(files: &std::path::Path) -> Stdio {
    files
        .parent()
        .and_then(|dir| {
            std::fs::create_dir_all(dir).ok()?;
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("server.log"))
                .ok()
        })
        .map_or_else(Stdio::null, Stdio::from)
}

/// `None`: the server stopped before answering (the database is still locked).
async fn start_once(
    db: &str,
    site_root: &str,
    files: &std::path::Path,
    extra: &[&str],
) -> anyhow::Result<Option<(Server, Duration)>> {
    let port = free_port()?;
    let started = Instant::now();
    let child = Command::new(std::env::current_exe()?)
        .args([
            "--db",
            db,
            "--site-root",
            site_root,
            "--tick-seconds",
            "0",
            "--log",
            "warn",
        ])
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--files")
        .arg(files)
        .args(extra)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(server_log(files))
        .spawn()?;
    let mut server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let http = client()?;
    loop {
        if let Ok(r) = http
            .get(format!("{}{}", server.base, crate::BARE_PATH))
            .send()
            .await
            && r.status().is_success()
        {
            return Ok(Some((server, started.elapsed())));
        }
        if server.child.try_wait()?.is_some() {
            return Ok(None);
        }
        if started.elapsed() > Duration::from_secs(300) {
            anyhow::bail!("the server did not answer within 5 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// GET `path` as the holder of `token`; the body's bytes as sent (brotli when `br`).
async fn get(server: &Server, path: &str, token: &str, br: bool) -> anyhow::Result<(u16, Vec<u8>)> {
    let (status, _, body) = get_with_headers(server, path, token, br).await?;
    Ok((status, body))
}

async fn get_with_headers(
    server: &Server,
    path: &str,
    token: &str,
    br: bool,
) -> anyhow::Result<(u16, reqwest::header::HeaderMap, Vec<u8>)> {
    // Rendered for each request, as a reload asks (the wrk runs measure the kept pages).
    let mut req = client()?
        .get(format!("{}{path}", server.base))
        .header(
            "cookie",
            format!("{}={token}", app::auth::service::SESSION_COOKIE),
        )
        .header("cache-control", crate::bench::RENDER_AFRESH);
    if br {
        req = req.header("accept-encoding", "br");
    }
    let r = req.send().await?;
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    Ok((status, headers, r.bytes().await?.to_vec()))
}

/// The unit head's home, one request at a time: the latency with nothing queued.
pub async fn home_alone(server: &Server, token: &str) -> anyhow::Result<Figure> {
    let mut samples = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        let (status, _) = get(server, "/", token, false).await?;
        anyhow::ensure!(status == 200, "the home page answered {status}");
        samples.push(started.elapsed());
    }
    Ok(Figure::ms(
        "unit head's home over HTTP, one request at a time (50)",
        Timing::of(samples),
        None,
    ))
}

/// The CSS, JS and WASM under /pkg/ that a page's HTML names.
fn assets(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for piece in html.split(['"', '\'']) {
        if piece.starts_with("/pkg/")
            && [".css", ".js", ".wasm"].iter().any(|e| piece.ends_with(e))
            && !found.iter().any(|f| f == piece)
        {
            found.push(piece.to_string());
        }
    }
    found
}

/// The unit head's home as a phone loads it the first time: the HTML and every asset it
/// names, brotli as served.
pub async fn first_load(server: &Server, token: &str) -> anyhow::Result<Vec<Figure>> {
    let (status, plain) = get(server, "/", token, false).await?;
    anyhow::ensure!(status == 200, "the home page answered {status}");
    let html = String::from_utf8_lossy(&plain).to_string();
    anyhow::ensure!(
        html.contains("rectify"),
        "the home page does not look like the app"
    );
    let (_, page) = get(server, "/", token, true).await?;
    let mut rows = vec![Figure::bytes(
        "  home page HTML (brotli)",
        page.len() as u64,
        None,
    )];
    let mut total = page.len() as u64;
    let mut delivered = true;
    for path in assets(&html) {
        let (status, headers, body) = get_with_headers(server, &path, token, true).await?;
        anyhow::ensure!(status == 200, "{path} answered {status}");
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        delivered &=
            header("content-encoding") == "br" && header("cache-control").contains("immutable");
        total += body.len() as u64;
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        rows.push(Figure::bytes(
            &format!("  {name} (brotli)"),
            body.len() as u64,
            None,
        ));
    }
    rows.push(Figure::check(
        "  assets sent brotli, cached for a year (immutable), WASM preloaded",
        if delivered { "yes" } else { "no" }.to_string(),
        "yes",
        delivered && html.contains("rel=\"preload\"") && html.contains(".wasm"),
    ));
    rows.insert(
        0,
        Figure::bytes(
            "first load of the unit head's home (HTML+CSS+JS+WASM)",
            total,
            Some(150 * 1024),
        ),
    );
    Ok(rows)
}

/// The dashboard page over HTTP, as the central office: the first request after start
/// and the next ones.
pub async fn dashboard_page(server: &Server, token: &str) -> anyhow::Result<Vec<Figure>> {
    let mut samples = Vec::new();
    for _ in 0..6 {
        let started = Instant::now();
        let (status, _) = get(server, "/dashboard", token, false).await?;
        anyhow::ensure!(status == 200, "the dashboard answered {status}");
        samples.push(started.elapsed());
    }
    let first = samples.remove(0);
    Ok(vec![
        Figure::ms(
            "dashboard page over HTTP, first after start",
            Timing::of(vec![first]),
            None,
        ),
        Figure::ms(
            "dashboard page over HTTP (5 more)",
            Timing::of(samples),
            None,
        ),
    ])
}

/// What wrk reports.
pub struct Load {
    pub requests_per_second: f64,
    pub p99: Duration,
    pub errors: u64,
}

fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (number, scale) = if let Some(n) = s.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        return None;
    };
    number
        .parse::<f64>()
        .ok()
        .map(|v| Duration::from_secs_f64(v * scale))
}

/// Reads wrk's report (`--latency`).
pub fn parse_wrk(report: &str) -> Option<Load> {
    let mut rps = None;
    let mut p99 = None;
    let mut errors = 0;
    for line in report.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", v] => rps = v.parse().ok(),
            ["99%", v] => p99 = parse_duration(v),
            ["Non-2xx", "or", "3xx", "responses:", n] => errors += n.parse::<u64>().unwrap_or(0),
            ["Socket", "errors:", rest @ ..] => {
                errors += rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum::<u64>()
            }
            _ => {}
        }
    }
    Some(Load {
        requests_per_second: rps?,
        p99: p99?,
        errors,
    })
}

/// wrk on `path` with `connections` connections for `seconds`, signed in as the holder
/// of `token` (signed out when `None`), sending `headers` too.
pub fn wrk(
    server: &Server,
    path: &str,
    token: Option<&str>,
    headers: &[&str],
    connections: u32,
    seconds: u32,
) -> anyhow::Result<Load> {
    let mut command = Command::new("wrk");
    command
        .args(["-t", "2", "--latency"])
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"));
    for header in headers {
        command.arg("-H").arg(header);
    }
    if let Some(token) = token {
        command.arg("-H").arg(format!(
            "Cookie: {}={token}",
            app::auth::service::SESSION_COOKIE
        ));
    }
    let out = command
        .arg(format!("{}{path}", server.base))
        .output()
        .map_err(|e| anyhow::anyhow!("wrk could not be run ({e}); install Debian's wrk package"))?;
    let report = String::from_utf8_lossy(&out.stdout);
    parse_wrk(&report).ok_or_else(|| anyhow::anyhow!("wrk's report was not understood:\n{report}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_reports() {
        let report = "Running 10s test @ http://127.0.0.1:3000/
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.12ms    1.01ms  30.00ms   90.00%
  Latency Distribution
     50%    4.90ms
     75%    5.50ms
     90%    6.20ms
     99%   12.34ms
  123456 requests in 10.00s, 1.00GB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  12345.67
Transfer/sec:    100.00MB
";
        let Some(load) = parse_wrk(report) else {
            panic!("the report was not understood");
        };
        assert!((load.requests_per_second - 12345.67).abs() < 0.01);
        assert_eq!(load.p99, Duration::from_micros(12_340));
        assert_eq!(load.errors, 7);
        assert_eq!(parse_duration("850.00us"), Some(Duration::from_micros(850)));
        assert_eq!(parse_duration("1.50s"), Some(Duration::from_millis(1500)));
        assert!(parse_wrk("nothing").is_none());
    }

    #[test]
    fn finds_the_assets_a_page_names() {
        let html = r#"<link rel="stylesheet" href="/pkg/rectify.abc.css"><link rel="modulepreload" href="/pkg/rectify.abc.js"><link rel="preload" href="/pkg/rectify.abc.wasm" as="fetch"><script>import('/pkg/rectify.abc.js')</script><link href="/icons/a.png">"#;
        assert_eq!(
            assets(html),
            [
                "/pkg/rectify.abc.css",
                "/pkg/rectify.abc.js",
                "/pkg/rectify.abc.wasm"
            ]
        );
    }
}
