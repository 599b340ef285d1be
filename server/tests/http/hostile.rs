//! What a stranger, a bored clerk or a script sends, through the real router: each
//! test here failed before the fix it guards (docs/security.md lists them all).

use super::*;
use axum::body::Bytes;
use futures::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const PIECE: usize = 64 * 1024;

/// A body of `len` bytes handed out in pieces as the server asks for them, counting
/// how many it took.
fn counted_body(len: usize, taken: Arc<AtomicUsize>) -> Body {
    let piece = Bytes::from(vec![b'x'; PIECE]);
    let pieces = (0..len.div_ceil(PIECE)).map(move |i| {
        let n = PIECE.min(len - i * PIECE);
        taken.fetch_add(n, Ordering::SeqCst);
        Ok::<_, std::io::Error>(piece.slice(..n))
    });
    Body::from_stream(futures::stream::iter(pieces))
}

/// A same-origin post of a body of `len` bytes (declared in `Content-Length`).
fn big_post(
    path: &str,
    content_type: &str,
    len: usize,
    cookie: &str,
    taken: &Arc<AtomicUsize>,
) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, len.to_string())
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header(header::COOKIE, cookie)
        .body(counted_body(len, taken.clone()))
        .unwrap_or_else(|e| panic!("{e}"))
}

const FORM: &str = "application/x-www-form-urlencoded";
const MULTIPART: &str = "multipart/form-data; boundary=----rectify-test-boundary";

/// Every plain form and upload route, with the content type it takes.
fn post_routes() -> Vec<(&'static str, &'static str)> {
    vec![
        (app::ledger::files::REPORT_PROGRESS_PATH, MULTIPART),
        (app::campaigns::RETURN_PATH, MULTIPART),
        (app::campaigns::VERIFY_PATH, MULTIPART),
        (app::exchange::IMPORT_PATH, MULTIPART),
        (app::campaigns::http::CREATE_CAMPAIGN_PATH, FORM),
        (app::campaigns::http::PLAN_VERIFICATION_PATH, FORM),
    ]
}

/// A stranger's big post is turned away before its body is read: sign in first.
#[tokio::test]
async fn a_strangers_post_is_refused_before_its_body_is_read() {
    let app = spawn_app().await;
    let posts = post_routes();
    // The server's own list of plain routes: a new one must be added above.
    let listed: Vec<&str> = server::http_routes::<()>()
        .into_iter()
        .filter(|(m, _, _)| m == axum::http::Method::POST)
        .map(|(_, p, _)| p)
        .collect();
    assert_eq!(listed.len(), posts.len(), "{listed:?}");
    for (path, content_type) in posts {
        let taken = Arc::new(AtomicUsize::new(0));
        let reply = app
            .send(big_post(path, content_type, 8 * 1024 * 1024, "", &taken))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{path}: {}",
            reply.body
        );
        assert!(
            taken.load(Ordering::SeqCst) <= PIECE,
            "{path} read {} bytes of a stranger's post",
            taken.load(Ordering::SeqCst)
        );
    }
}

/// Each route takes what fits it: a form kilobytes, an upload its files' limit. A body
/// declared longer is refused unread, and nothing is written.
#[tokio::test]
async fn each_post_route_takes_no_more_than_fits_it() {
    let app = spawn_app().await;
    let central = app.sign_in("central").await;
    let campaigns = || async {
        let n: Option<i64> = app
            .db
            .query("RETURN count(SELECT id FROM campaign)")
            .await
            .and_then(|mut r| r.take(0))
            .unwrap_or_else(|e| panic!("{e}"));
        n.unwrap_or(-1)
    };
    let before = campaigns().await;
    for (path, content_type) in post_routes() {
        let limit = server::body_limit(path).unwrap_or_else(|| panic!("{path} has no limit"));
        let taken = Arc::new(AtomicUsize::new(0));
        let reply = app
            .send(big_post(path, content_type, limit + 1, &central, &taken))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{path}: {}",
            reply.body
        );
        assert_eq!(
            taken.load(Ordering::SeqCst),
            0,
            "{path} read a body declared too long"
        );
    }
    // A form is a form: no more than kilobytes.
    assert!(server::body_limit(app::campaigns::http::CREATE_CAMPAIGN_PATH) <= Some(64 * 1024));
    assert!(server::body_limit(app::campaigns::http::PLAN_VERIFICATION_PATH) <= Some(64 * 1024));
    // A campaign form of 256 KB without a length declared (sent in pieces) is cut off
    // where its limit is, and creates nothing.
    let taken = Arc::new(AtomicUsize::new(0));
    let mut req = big_post(
        app::campaigns::http::CREATE_CAMPAIGN_PATH,
        FORM,
        256 * 1024,
        &central,
        &taken,
    );
    req.headers_mut().remove(header::CONTENT_LENGTH);
    let reply = app.send(req).await;
    assert_eq!(
        reply.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        reply.body
    );
    assert!(taken.load(Ordering::SeqCst) <= 64 * 1024 + PIECE);
    assert_eq!(campaigns().await, before);
}

/// A failed sign-in posted through nginx on this machine, the client having written an
/// `X-Forwarded-For` of its own choosing before nginx appended the address it saw.
fn through_nginx(forged: &str, seen: &str, username: &str) -> Request<Body> {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("username", username), ("password", "Wrong-pass-1")])
        .finish();
    let mut req = Request::post("/api/sign_in")
        .header(header::ACCEPT, "text/html")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header(header::REFERER, "http://127.0.0.1:3000/login")
        .header("x-forwarded-for", format!("{forged}, {seen}"))
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"));
    let peer: std::net::SocketAddr = "127.0.0.1:51000".parse().unwrap_or_else(|e| panic!("{e}"));
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    req
}

/// Behind nginx (`$proxy_add_x_forwarded_for`), a client that writes a new address into
/// every request still counts as the one address nginx saw, and the log says so.
#[tokio::test]
async fn a_forged_forwarded_for_neither_escapes_the_sign_in_limit_nor_enters_the_log() {
    let app = spawn_app().await;
    let (limit, _) = server::security::SIGN_IN_FAILURES;
    for i in 0..limit {
        let forged = format!("10.{}.{}.1", i / 200, i % 200);
        let reply = app
            .send(through_nginx(&forged, "203.0.113.7", &format!("nobody{i}")))
            .await;
        assert!(
            reply.location().starts_with("/login?error="),
            "attempt {i}: {}",
            reply.location()
        );
    }
    let reply = app
        .send(through_nginx("10.250.0.1", "203.0.113.7", "unithead"))
        .await;
    assert_eq!(reply.location(), "/login?error=rate_limited");
    let addresses: Vec<Option<String>> = app
        .db
        .query("SELECT VALUE ip FROM security_event")
        .await
        .and_then(|mut r| r.take(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!addresses.is_empty());
    assert!(
        addresses
            .iter()
            .all(|a| a.as_deref() == Some("203.0.113.7")),
        "{addresses:?}"
    );
}

/// A stranger's script posting from another site again and again is refused each time
/// and written to the security log (kept 400 days) once per window, not once a request.
#[tokio::test]
async fn a_strangers_refusals_do_not_flood_the_security_log() {
    let app = spawn_app().await;
    for _ in 0..50 {
        let mut req = Request::post("/api/set_language")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::ORIGIN, "https://evil.example")
            .body(Body::from("lang=en"))
            .unwrap_or_else(|e| panic!("{e}"));
        let peer: std::net::SocketAddr = "198.51.100.66:40000"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        let reply = app.send(req).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
    }
    let written: Option<i64> = app
        .db
        .query("RETURN count(SELECT id FROM security_event WHERE kind = 'refused')")
        .await
        .and_then(|mut r| r.take(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(written, Some(1));
}

/// A link on another site to a notified item, opened by the partner department, shows
/// the item but does not sign for the notification; opened from the app, it does.
#[tokio::test]
async fn a_link_from_another_site_does_not_sign_a_partners_read_receipt() {
    let app = spawn_app().await;
    let central = app.sign_in("central").await;
    let key = app.register_item(&central).await;
    let item = app::db::record("item", &key);
    let notified = app
        .post_form(
            "/api/notify_department",
            &[
                ("item", key.as_str()),
                ("dept", "inspection"),
                ("note", "请配合督促"),
            ],
            &central,
            &format!("/items/{key}"),
        )
        .await;
    assert!(
        notified.location().contains("saved=notify"),
        "{}",
        notified.location()
    );
    let partner = app.sign_in("inspection").await;
    let read_at = || async {
        let read: Vec<bool> = app
            .db
            .query(
                "SELECT VALUE read_at != NONE FROM notification
                 WHERE item = $item AND dept = 'inspection'",
            )
            .bind(("item", item.clone()))
            .await
            .and_then(|mut r| r.take(0))
            .unwrap_or_else(|e| panic!("{e}"));
        read
    };
    let open = |site: &'static str| {
        Request::get(format!("/items/{key}"))
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, partner.as_str())
            .header("sec-fetch-site", site)
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    for site in ["cross-site", "same-site"] {
        let page = app.send(open(site)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("请配合督促"), "{site}");
        assert_eq!(read_at().await, vec![false], "{site}");
    }
    let page = app.send(open("same-origin")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(read_at().await, vec![true]);
}

/// The largest file waiting under the incoming folder of the tests' files folder.
fn largest_waiting() -> u64 {
    let incoming = std::env::temp_dir()
        .join("rectify-http-tests")
        .join("incoming");
    std::fs::read_dir(incoming).map_or(0, |entries| {
        entries
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .max()
            .unwrap_or(0)
    })
}

/// An upload goes to disk while it arrives, never whole into memory, and a refused
/// report leaves none of it behind.
#[tokio::test]
async fn an_upload_is_written_to_disk_as_it_arrives_and_removed_when_refused() {
    let app = spawn_app().await;
    let central = app.sign_in("central").await;
    let key = app.register_item(&central).await;
    let head = app.sign_in("unithead").await;
    let scan = [b"%PDF-1.7\n".as_slice(), &vec![b'x'; 6 * 1024 * 1024]].concat();
    let (content_type, body) = multipart(
        &[("item", key.as_str()), ("text", "已整改")],
        Some(("scan.pdf", &scan)),
    );
    // Halfway through the body, how much of the file is on disk already.
    let seen_halfway = Arc::new(AtomicUsize::new(0));
    let len = body.len();
    let pieces: Vec<Bytes> = body.chunks(PIECE).map(Bytes::copy_from_slice).collect();
    let seen = seen_halfway.clone();
    let stream = futures::stream::iter(pieces.into_iter().enumerate()).then(move |(i, piece)| {
        let seen = seen.clone();
        async move {
            if i * PIECE >= len / 2 && seen.load(Ordering::SeqCst) == 0 {
                // Give the server's task the time to write what it has.
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                seen.store(largest_waiting().max(1) as usize, Ordering::SeqCst);
            }
            Ok::<_, std::io::Error>(piece)
        }
    });
    let req = Request::post(app::ledger::files::REPORT_PROGRESS_PATH)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_LENGTH, len.to_string())
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header(header::COOKIE, head.as_str())
        .body(Body::from_stream(stream))
        .unwrap_or_else(|e| panic!("{e}"));
    let reply = app.send(req).await;
    // The item is not yet issued to the unit: the report is refused.
    assert!(reply.location().contains("error="), "{}", reply.location());
    let halfway = seen_halfway.load(Ordering::SeqCst) as u64;
    assert!(
        halfway >= 2 * 1024 * 1024,
        "on disk halfway: {halfway} bytes"
    );
    assert!(
        largest_waiting() < 1024 * 1024,
        "a refused upload stays behind"
    );
    let stored: Option<i64> = app
        .db
        .query("RETURN count(SELECT id FROM attachment)")
        .await
        .and_then(|mut r| r.take(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stored, Some(0));
}
