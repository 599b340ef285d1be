//! The reminder channels against real endpoints on loopback: a push service that
//! decrypts what it is sent with the device's own keys (RFC 8291) and checks the VAPID
//! token (RFC 8292), WeChat Work and DingTalk robots that read the documented JSON (and
//! DingTalk's signature), an SMS gateway. The database is a fresh in-memory SurrealDB and
//! the clock is moved by the test.
#![cfg(feature = "ssr")]

mod support;

use aes_gcm::aead::Aead;
use aes_gcm::{Aes128Gcm, KeyInit, Nonce};
use app::AppError;
use app::auth::Scope;
use app::db::{Db, record};
use app::ledger::NewItem;
use app::ledger::service as ledger;
use app::reminders::ChannelForm;
use app::reminders::dispatch::{self, Outbound};
use app::reminders::push::{b64, unb64};
use app::reminders::push_services::PushServices;
use app::reminders::service as reminders;
use axum::extract::{Request, State};
use chrono::{DateTime, Duration, Utc};
use hkdf::Hkdf;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::{PublicKey, SecretKey};
use sha2::Sha256;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use support::*;

// ---- A loopback endpoint that records every request --------------------------------

#[derive(Clone, Debug)]
struct Received {
    path: String,
    query: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Received {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON: {e}"))
    }
}

/// Status and body to answer with, queued per path.
type Replies = HashMap<String, VecDeque<(u16, String)>>;

#[derive(Clone, Default)]
struct Endpoint {
    received: Arc<Mutex<Vec<Received>>>,
    /// Replies queued per path; when none is queued, the service's success.
    replies: Arc<Mutex<Replies>>,
}

impl Endpoint {
    fn received(&self, path_prefix: &str) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|r| r.path.starts_with(path_prefix))
            .cloned()
            .collect()
    }

    fn reply(&self, path: &str, status: u16, body: &str) {
        self.replies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(path.to_string())
            .or_default()
            .push_back((status, body.to_string()));
    }
}

async fn record_request(
    State(ep): State<Endpoint>,
    req: Request,
) -> (axum::http::StatusCode, String) {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    ep.received
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Received {
            path: path.clone(),
            query: parts.uri.query().unwrap_or("").to_string(),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                .collect(),
            body,
        });
    let queued = ep
        .replies
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_mut(&path)
        .and_then(|q| q.pop_front());
    let (status, text) = queued.unwrap_or_else(|| {
        if path.starts_with("/push") {
            (201, String::new())
        } else if path.starts_with("/robot") {
            (200, r#"{"errcode":0,"errmsg":"ok"}"#.to_string())
        } else {
            (200, r#"{"code":"OK"}"#.to_string())
        }
    });
    (
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK),
        text,
    )
}

async fn endpoint() -> (String, Endpoint) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!(
        "http://{}",
        listener.local_addr().unwrap_or_else(|e| panic!("{e}"))
    );
    let ep = Endpoint::default();
    let app = axum::Router::new()
        .fallback(record_request)
        .with_state(ep.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, ep)
}

// ---- A phone: its own keys, able to read what it is sent ----------------------------

struct Phone {
    key: SecretKey,
    auth: [u8; 16],
}

impl Phone {
    fn new() -> Phone {
        let mut auth = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut auth);
        Phone {
            key: SecretKey::random(&mut rand::rngs::OsRng),
            auth,
        }
    }

    fn p256dh(&self) -> String {
        b64(self.key.public_key().to_sec1_bytes().as_ref())
    }

    /// RFC 8291 §3 from the receiving side: one aes128gcm record.
    fn decrypt(&self, body: &[u8]) -> serde_json::Value {
        let salt = &body[..16];
        let record_size = u32::from_be_bytes([body[16], body[17], body[18], body[19]]);
        assert_eq!(record_size, 4096);
        let id_len = body[20] as usize;
        let sender = &body[21..21 + id_len];
        let sealed = &body[21 + id_len..];
        let sender_key = PublicKey::from_sec1_bytes(sender).unwrap_or_else(|e| panic!("{e}"));
        let shared =
            p256::ecdh::diffie_hellman(self.key.to_nonzero_scalar(), sender_key.as_affine());
        let mut info = b"WebPush: info\0".to_vec();
        info.extend_from_slice(self.key.public_key().to_sec1_bytes().as_ref());
        info.extend_from_slice(sender);
        let mut ikm = [0u8; 32];
        Hkdf::<Sha256>::new(Some(&self.auth), shared.raw_secret_bytes())
            .expand(&info, &mut ikm)
            .unwrap_or_else(|e| panic!("{e}"));
        let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
        let mut cek = [0u8; 16];
        let mut nonce = [0u8; 12];
        prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
            .unwrap_or_else(|e| panic!("{e}"));
        prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut plain = Aes128Gcm::new_from_slice(&cek)
            .unwrap_or_else(|e| panic!("{e}"))
            .decrypt(Nonce::from_slice(&nonce), sealed)
            .unwrap_or_else(|_| panic!("the push does not decrypt with this device's keys"));
        while plain.last() == Some(&0) {
            plain.pop();
        }
        assert_eq!(plain.pop(), Some(2), "last record delimiter");
        serde_json::from_slice(&plain).unwrap_or_else(|e| panic!("{e}"))
    }
}

// ---- Helpers -------------------------------------------------------------------------

/// The push service of these tests is plain http on loopback.
fn test_services() -> PushServices {
    PushServices::and_loopback()
}

async fn outbound(db: &Db) -> Outbound {
    outbound_to(db, test_services()).await
}

async fn outbound_to(db: &Db, services: PushServices) -> Outbound {
    ok(Outbound::new(
        db,
        "mailto:office@example.invalid",
        Some("http://zgt.test".into()),
        services,
    )
    .await)
}

async fn subscribe(w: &World, who: &app::auth::SessionUser, url: &str, phone: &Phone) {
    ok(dispatch::save_subscription(
        &w.db,
        who,
        &test_services(),
        url,
        &phone.p256dh(),
        &b64(&phone.auth),
        "test phone",
        at("2026-12-01"),
    )
    .await);
}

async fn number_of(w: &World, item: &str) -> String {
    ok(ledger::get_item(&w.db, &w.central, item, at("2026-12-01")).await)
        .summary
        .number
}

/// 23:00, 07:29 and 07:31 in Shanghai around a date.
fn shanghai(rfc3339_utc: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339_utc)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("{e}"))
}

// ---- Web Push ------------------------------------------------------------------------

#[tokio::test]
async fn a_push_reaches_the_phone_encrypted_for_it_and_signed_by_the_server() {
    let w = world().await;
    let (base, ep) = endpoint().await;
    let phone = Phone::new();
    subscribe(&w, &w.head, &format!("{base}/push/head-phone"), &phone).await;
    let out = outbound(&w.db).await;
    // T-7 (10:00 Shanghai): the inbox first, then the push.
    let now = at("2026-12-24");
    ok(reminders::tick(&w.db, "a", now).await);
    let report = ok(dispatch::dispatch(&w.db, &out, "a", now).await);
    assert_eq!(report.sent, 1);
    let got = ep.received("/push/head-phone");
    assert_eq!(got.len(), 1);
    let request = &got[0];
    assert_eq!(request.headers["content-encoding"], "aes128gcm");
    assert!(request.headers.contains_key("ttl"));
    // The message reads back with the phone's private key and auth secret.
    let message = phone.decrypt(&request.body);
    let number = number_of(&w, &w.item).await;
    assert_eq!(message["url"], format!("/items/{}", w.item));
    assert!(message["title"].as_str().unwrap_or("").contains("1 项提醒"));
    let body = message["body"].as_str().unwrap_or("");
    assert!(
        body.contains(&number) && body.contains("距整改期限还有 7 天"),
        "{body}"
    );
    // VAPID: a JWT for this push service's origin, signed by the key the server names,
    // and that key is the one stored on first start.
    let authorization = &request.headers["authorization"];
    let (token, key) = authorization
        .strip_prefix("vapid t=")
        .and_then(|r| r.split_once(", k="))
        .unwrap_or_else(|| panic!("{authorization}"));
    assert_eq!(key, ok(dispatch::vapid_keys(&w.db).await).public_b64());
    let parts: Vec<&str> = token.split('.').collect();
    let claims: serde_json::Value = serde_json::from_slice(&unb64(parts[1]).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(claims["aud"], base);
    assert_eq!(claims["sub"], "mailto:office@example.invalid");
    assert!(claims["exp"].as_i64().unwrap_or(0) > Utc::now().timestamp());
    let verifier = VerifyingKey::from_sec1_bytes(&unb64(key).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let signature = Signature::from_slice(&unb64(parts[2]).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        verifier
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .is_ok()
    );
    // The item keeps the proof; a second run sends nothing more.
    let detail = ok(ledger::get_item(&w.db, &w.head, &w.item, now).await);
    assert!(
        detail
            .deliveries
            .iter()
            .any(|d| d.kind == "push" && d.state == "sent")
    );
    assert_eq!(ok(dispatch::dispatch(&w.db, &out, "a", now).await).sent, 0);
    assert_eq!(ep.received("/push").len(), 1);
}

#[tokio::test]
async fn a_gone_device_is_forgotten_and_a_busy_push_service_is_retried_later() {
    let w = world().await;
    let (base, ep) = endpoint().await;
    subscribe(
        &w,
        &w.head,
        &format!("{base}/push/old-phone"),
        &Phone::new(),
    )
    .await;
    subscribe(
        &w,
        &w.head,
        &format!("{base}/push/new-phone"),
        &Phone::new(),
    )
    .await;
    ep.reply("/push/old-phone", 410, "");
    ep.reply("/push/new-phone", 503, "");
    let out = outbound(&w.db).await;
    let now = at("2026-12-24");
    ok(reminders::tick(&w.db, "a", now).await);
    let first = ok(dispatch::dispatch(&w.db, &out, "a", now).await);
    assert_eq!((first.gone, first.retried, first.sent), (1, 1, 0));
    assert_eq!(ok(dispatch::device_count(&w.db, &w.head).await), 1);
    // Not before the backoff has passed...
    let early = ok(dispatch::dispatch(&w.db, &out, "a", now + Duration::seconds(30)).await);
    assert_eq!(early, Default::default());
    // ...then the same message again, and this time the service takes it.
    let later = ok(dispatch::dispatch(&w.db, &out, "a", now + Duration::minutes(2)).await);
    assert_eq!(later.sent, 1);
    let tries = ep.received("/push/new-phone");
    assert_eq!(tries.len(), 2);
    assert_eq!(tries[0].body.len(), tries[1].body.len());
    let log = ok(ledger::get_item(&w.db, &w.head, &w.item, now).await).deliveries;
    let new = log
        .iter()
        .find(|d| d.state == "sent")
        .unwrap_or_else(|| panic!("{log:?}"));
    assert_eq!(new.attempts, 2);
    assert!(log.iter().any(|d| d.state == "gone"), "{log:?}");
    // The service's answer is the administrator's to read.
    let admin = user(&w.db, "admin", "administrator", "", "").await;
    let log = ok(dispatch::recent_deliveries(&w.db, &admin).await);
    assert!(
        log.iter()
            .any(|d| d.state == "gone" && d.detail.contains("410")),
        "{log:?}"
    );
}

#[tokio::test]
async fn quiet_hours_keep_pushes_until_morning_but_not_the_inbox() {
    let w = world().await;
    let (base, ep) = endpoint().await;
    subscribe(&w, &w.head, &format!("{base}/push/head"), &Phone::new()).await;
    let out = outbound(&w.db).await;
    // 23:00 Shanghai on the T-7 day.
    let late = shanghai("2026-12-24T15:00:00Z");
    ok(reminders::tick(&w.db, "a", late).await);
    assert_eq!(ok(reminders::unread_count(&w.db, &w.head).await), 1);
    assert_eq!(ok(dispatch::dispatch(&w.db, &out, "a", late).await).sent, 0);
    assert_eq!(
        ok(dispatch::dispatch(&w.db, &out, "a", shanghai("2026-12-24T23:29:00Z")).await).sent,
        0
    );
    assert!(ep.received("/push").is_empty());
    assert_eq!(
        ok(dispatch::dispatch(&w.db, &out, "a", shanghai("2026-12-24T23:31:00Z")).await).sent,
        1
    );
    assert_eq!(ep.received("/push").len(), 1);
}

#[tokio::test]
async fn quiet_hours_set_by_the_administrator_are_followed() {
    let w = world().await;
    let admin = user(&w.db, "admin", "administrator", "", "").await;
    assert_eq!(
        dispatch::save_reminder_settings(&w.db, &w.head, "12:00", "14:00", "09:00").await,
        Err(AppError::Forbidden)
    );
    assert!(matches!(
        dispatch::save_reminder_settings(&w.db, &admin, "25:00", "14:00", "09:00").await,
        Err(AppError::Validation { .. })
    ));
    ok(dispatch::save_reminder_settings(&w.db, &admin, "09:00", "11:00", "09:00").await);
    let (base, ep) = endpoint().await;
    subscribe(&w, &w.head, &format!("{base}/push/head"), &Phone::new()).await;
    let out = outbound(&w.db).await;
    // 10:00 is now quiet; 11:00 is not.
    ok(reminders::tick(&w.db, "a", at("2026-12-24")).await);
    assert_eq!(
        ok(dispatch::dispatch(&w.db, &out, "a", at("2026-12-24")).await).sent,
        0
    );
    let eleven = at("2026-12-24") + Duration::hours(1);
    assert_eq!(
        ok(dispatch::dispatch(&w.db, &out, "a", eleven).await).sent,
        1
    );
    assert_eq!(ep.received("/push").len(), 1);
}

#[tokio::test]
async fn each_person_gets_one_digest_per_run_not_one_push_per_item() {
    let w = world().await;
    let (second, _) = ok(ledger::register_item(
        &w.db,
        &w.central,
        &NewItem {
            unit: match &w.head.scope {
                Scope::Unit { id, .. } => id.clone(),
                other => panic!("{other:?}"),
            },
            source: "inspection_tour".into(),
            category: "excess_leaders".into(),
            nature: "violation".into(),
            description: "超职数配备副职 1 名".into(),
            found_on: "2026-10-20".into(),
            deadline: "2026-12-31".into(),
            head_name: "head".into(),
            ..NewItem::default()
        },
        at("2026-11-01"),
    )
    .await);
    ok(ledger::issue(&w.db, &w.central, &second, at("2026-11-01")).await);
    let (base, ep) = endpoint().await;
    let phone = Phone::new();
    subscribe(&w, &w.head, &format!("{base}/push/head"), &phone).await;
    let out = outbound(&w.db).await;
    ok(reminders::tick(&w.db, "a", at("2026-12-24")).await);
    assert_eq!(ok(reminders::unread_count(&w.db, &w.head).await), 2);
    ok(dispatch::dispatch(&w.db, &out, "a", at("2026-12-24")).await);
    let got = ep.received("/push");
    assert_eq!(got.len(), 1);
    let message = phone.decrypt(&got[0].body);
    assert!(message["title"].as_str().unwrap_or("").contains("2 项提醒"));
    assert_eq!(message["url"], "/inbox");
    let body = message["body"].as_str().unwrap_or("");
    assert!(body.contains(&number_of(&w, &w.item).await));
    assert!(body.contains(&number_of(&w, &second).await));
}

#[tokio::test]
async fn two_dispatchers_on_one_database_send_each_message_once() {
    let w = world().await;
    let (base, ep) = endpoint().await;
    subscribe(&w, &w.head, &format!("{base}/push/head"), &Phone::new()).await;
    subscribe(
        &w,
        &w.handler,
        &format!("{base}/push/handler"),
        &Phone::new(),
    )
    .await;
    let out = outbound(&w.db).await;
    let now = at("2026-12-24");
    ok(reminders::tick(&w.db, "a", now).await);
    let (a, b) = tokio::join!(
        dispatch::dispatch(&w.db, &out, "a", now),
        dispatch::dispatch(&w.db, &out, "b", now)
    );
    assert_eq!(ok(a).sent + ok(b).sent, 2);
    assert_eq!(ep.received("/push/head").len(), 1);
    assert_eq!(ep.received("/push/handler").len(), 1);
}

#[tokio::test]
async fn a_subscription_must_be_a_real_one_and_is_forgotten_only_by_its_owner() {
    let w = world().await;
    let phone = Phone::new();
    let bad =
        |r: Result<(), AppError>| assert!(matches!(r, Err(AppError::Validation { .. })), "{r:?}");
    let now = at("2026-12-01");
    bad(dispatch::save_subscription(
        &w.db,
        &w.head,
        &test_services(),
        "not a url",
        &phone.p256dh(),
        &b64(&phone.auth),
        "",
        now,
    )
    .await);
    // Plain http only to this machine: no pushes into the office network.
    bad(dispatch::save_subscription(
        &w.db,
        &w.head,
        &test_services(),
        "http://10.0.0.8/push",
        &phone.p256dh(),
        &b64(&phone.auth),
        "",
        now,
    )
    .await);
    bad(dispatch::save_subscription(
        &w.db,
        &w.head,
        &test_services(),
        "http://127.0.0.1:9/p",
        "AAAA",
        &b64(&phone.auth),
        "",
        now,
    )
    .await);
    bad(dispatch::save_subscription(
        &w.db,
        &w.head,
        &test_services(),
        "http://127.0.0.1:9/p",
        &phone.p256dh(),
        "short",
        "",
        now,
    )
    .await);
    assert_eq!(ok(dispatch::device_count(&w.db, &w.head).await), 0);
    subscribe(&w, &w.head, "http://127.0.0.1:9/push/x", &phone).await;
    // The same device again is one subscription.
    subscribe(&w, &w.head, "http://127.0.0.1:9/push/x", &phone).await;
    assert_eq!(ok(dispatch::device_count(&w.db, &w.head).await), 1);
    ok(dispatch::forget_subscription(&w.db, &w.other_head, "http://127.0.0.1:9/push/x").await);
    assert_eq!(ok(dispatch::device_count(&w.db, &w.head).await), 1);
    ok(dispatch::forget_subscription(&w.db, &w.head, "http://127.0.0.1:9/push/x").await);
    assert_eq!(ok(dispatch::device_count(&w.db, &w.head).await), 0);
    // A test push needs a device.
    assert!(matches!(
        dispatch::queue_test_push(&w.db, &w.head, now).await,
        Err(AppError::Validation { .. })
    ));
}

/// A subscription as an earlier version (or a hand in the database) stored it, without
/// the checks of `save_subscription`.
async fn stored_subscription(w: &World, who: &app::auth::SessionUser, endpoint: &str) {
    let phone = Phone::new();
    w.db.query(
        "CREATE push_subscription SET user = $me, endpoint = $endpoint, p256dh = $p256dh,
            auth = $auth_secret, device = 'old', created_at = time::now()",
    )
    .bind(("me", record("user", &who.id)))
    .bind(("endpoint", endpoint.to_string()))
    .bind(("p256dh", phone.p256dh()))
    .bind(("auth_secret", b64(&phone.auth)))
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .check()
    .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn pushes_go_only_to_the_browsers_push_services_at_public_addresses() {
    let w = world().await;
    let phone = Phone::new();
    let now = at("2026-12-01");
    let save = |services: PushServices, endpoint: &'static str| {
        let (db, head, p256dh, auth) = (
            w.db.clone(),
            w.head.clone(),
            phone.p256dh(),
            b64(&phone.auth),
        );
        async move {
            dispatch::save_subscription(&db, &head, &services, endpoint, &p256dh, &auth, "", now)
                .await
        }
    };
    // Any https address a user hands in is refused: the office network, the cloud's
    // metadata service, a host of the caller's choosing, this machine without the
    // tests' switch.
    for endpoint in [
        "https://10.0.0.8/push",
        "https://169.254.169.254/latest/meta-data",
        "https://push.attacker.example/x",
        "https://fcm.googleapis.com.attacker.example/x",
        "http://127.0.0.1:9/push",
    ] {
        let r = save(PushServices::default(), endpoint).await;
        assert!(
            matches!(r, Err(AppError::Validation { .. })),
            "{endpoint}: {r:?}"
        );
    }
    ok(save(
        PushServices::default(),
        "https://fcm.googleapis.com/fcm/send/abc",
    )
    .await);
    ok(save(
        PushServices::with(&["push.gov.example".into()]),
        "https://a.push.gov.example/x",
    )
    .await);
    assert_eq!(ok(dispatch::device_count(&w.db, &w.head).await), 2);

    // Sending checks again: a subscription stored before these rules is not posted to,
    // and a listed name that resolves to this machine connects nowhere.
    let w = world().await;
    let (base, ep) = endpoint().await;
    let port = base.rsplit(':').next().unwrap_or_default().to_string();
    stored_subscription(&w, &w.head, &format!("{base}/push/inside")).await;
    stored_subscription(
        &w,
        &w.handler,
        &format!("https://localhost:{port}/push/named"),
    )
    .await;
    let out = outbound_to(&w.db, PushServices::with(&["localhost".into()])).await;
    let now = at("2026-12-24");
    ok(reminders::tick(&w.db, "a", now).await);
    let report = ok(dispatch::dispatch(&w.db, &out, "a", now).await);
    assert_eq!(report.sent, 0, "{report:?}");
    assert_eq!(report.failed + report.retried, 2, "{report:?}");
    assert!(ep.received("/push").is_empty());
}

/// An address that takes connections and never answers.
async fn black_hole(ip: &str) -> String {
    let listener = tokio::net::TcpListener::bind(format!("{ip}:0"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn dead_endpoints_cost_their_own_messages_only() {
    let w = world().await;
    let (base, ep) = endpoint().await;
    let dead = black_hole("127.0.0.2").await;
    // One person hands in more devices than anyone has, all on a service that never
    // answers; they keep the last ten.
    for n in 0..(dispatch::DEVICES_PER_USER + 5) {
        subscribe(
            &w,
            &w.handler,
            &format!("{dead}/push/dead-{n}"),
            &Phone::new(),
        )
        .await;
    }
    assert_eq!(
        ok(dispatch::device_count(&w.db, &w.handler).await),
        dispatch::DEVICES_PER_USER as i64
    );
    let phone = Phone::new();
    subscribe(&w, &w.head, &format!("{base}/push/head"), &phone).await;
    let timeout = std::time::Duration::from_secs(1);
    let out = ok(outbound(&w.db).await.with_timeout(timeout));
    let now = at("2026-12-24");
    ok(reminders::tick(&w.db, "a", now).await);
    let started = std::time::Instant::now();
    let report = ok(dispatch::dispatch(&w.db, &out, "a", now).await);
    let took = started.elapsed();
    // The head's push went out in the same run; the dead devices wait for a retry.
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(report.retried, dispatch::DEVICES_PER_USER, "{report:?}");
    assert_eq!(ep.received("/push/head").len(), 1);
    // Sent one after the other, ten dead devices would have held the run ten timeouts;
    // their service is given at most one turn of requests.
    assert!(
        took < timeout * (dispatch::DEVICES_PER_USER as u32) / 2,
        "the run took {took:?}"
    );
    // The inbox never waits for any channel.
    assert_eq!(ok(reminders::unread_count(&w.db, &w.head).await), 1);
    assert_eq!(ok(reminders::unread_count(&w.db, &w.handler).await), 1);
}

#[tokio::test]
async fn the_delivery_log_keeps_no_address_and_shows_details_to_the_administrator_only() {
    let w = world().await;
    let admin = user(&w.db, "admin", "administrator", "", "").await;
    let (base, ep) = endpoint().await;
    // A robot whose address takes no connection: the error must not carry its key.
    channel(
        &w.db,
        &admin,
        "wecom",
        "断线群",
        "http://127.0.0.1:1/cgi-bin/webhook/send?key=SECRETKEY".into(),
        "",
        String::new(),
    )
    .await;
    subscribe(&w, &w.head, &format!("{base}/push/refuses"), &Phone::new()).await;
    ep.reply("/push/refuses", 400, "internal page: db password hunter2");
    let out = outbound(&w.db).await;
    let now = at("2026-12-24");
    ok(reminders::tick(&w.db, "a", now).await);
    ok(dispatch::dispatch(&w.db, &out, "a", now).await);
    let stored: Vec<String> =
        w.db.query("SELECT VALUE log.detail FROM delivery")
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .take::<Vec<Vec<String>>>(0)
            .unwrap_or_else(|e| panic!("{e}"))
            .concat();
    assert!(!stored.is_empty());
    for detail in &stored {
        assert!(
            !detail.contains("SECRETKEY") && !detail.contains("127.0.0.1"),
            "{detail}"
        );
    }
    let log = ok(dispatch::recent_deliveries(&w.db, &admin).await);
    assert!(
        log.iter()
            .any(|d| d.kind == "wecom" && d.detail.contains("no connection")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|d| d.kind == "push" && d.detail.contains("HTTP 400")),
        "{log:?}"
    );
    // The unit sees what became of each message, not what the services answered.
    let seen = ok(ledger::get_item(&w.db, &w.head, &w.item, now).await).deliveries;
    assert!(
        seen.iter().any(|d| d.kind == "push" && d.state == "failed"),
        "{seen:?}"
    );
    assert!(seen.iter().any(|d| d.kind == "wecom"), "{seen:?}");
    assert!(seen.iter().all(|d| d.detail.is_empty()), "{seen:?}");
}

// ---- WeChat Work, DingTalk, SMS ------------------------------------------------------

fn district_of(who: &app::auth::SessionUser) -> String {
    match &who.scope {
        Scope::Unit { district_id, .. } => district_id.clone(),
        Scope::District { id, .. } => id.clone(),
        other => panic!("{other:?}"),
    }
}

async fn channel(
    db: &Db,
    admin: &app::auth::SessionUser,
    kind: &str,
    name: &str,
    url: String,
    secret: &str,
    scope: String,
) {
    ok(dispatch::add_channel(
        db,
        admin,
        &ChannelForm {
            kind: kind.into(),
            name: name.into(),
            url,
            secret: secret.into(),
            template: String::new(),
            scope,
        },
        at("2026-12-01"),
    )
    .await);
}

#[tokio::test]
async fn group_robots_and_the_sms_gateway_receive_the_documented_messages() {
    let w = world().await;
    let admin = user(&w.db, "admin", "administrator", "", "").await;
    let (base, ep) = endpoint().await;
    let ours = format!("district:{}", district_of(&w.head));
    let theirs = format!("district:{}", district_of(&w.other_head));
    channel(
        &w.db,
        &admin,
        "wecom",
        "海陵区整改群",
        format!("{base}/robot/wecom/send?key=K1"),
        "",
        ours,
    )
    .await;
    channel(
        &w.db,
        &admin,
        "wecom",
        "高港区整改群",
        format!("{base}/robot/wecom-gg/send?key=K2"),
        "",
        theirs,
    )
    .await;
    channel(
        &w.db,
        &admin,
        "dingtalk",
        "全市整改群",
        format!("{base}/robot/dingtalk/send?access_token=T1"),
        "SECtest",
        String::new(),
    )
    .await;
    channel(
        &w.db,
        &admin,
        "dingtalk",
        "旧群",
        format!("{base}/robot/old/send?access_token=T2"),
        "",
        String::new(),
    )
    .await;
    channel(
        &w.db,
        &admin,
        "sms",
        "短信网关",
        format!("{base}/sms/send"),
        "",
        String::new(),
    )
    .await;
    ep.reply(
        "/robot/old/send",
        200,
        r#"{"errcode":310000,"errmsg":"keywords not in content"}"#,
    );
    w.db.query("UPDATE $u SET phone = '13812345678'")
        .bind(("u", record("user", &w.head.id)))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let out = outbound(&w.db).await;
    let now = at("2026-12-24");
    // As the scheduler does: runs follow at once while one leaves work (a slow machine's
    // run leaves its delivery to the next one).
    for _ in 0..20 {
        if !ok(reminders::tick_with(&w.db, "a", now, out.public_url.as_deref()).await).more {
            break;
        }
    }
    let report = ok(dispatch::dispatch(&w.db, &out, "a", now).await);
    assert_eq!((report.sent, report.failed), (3, 1), "{report:?}");
    let number = number_of(&w, &w.item).await;

    // WeChat Work: markdown, one line for the item although two people were reminded,
    // linking to the item at the public address.
    let wecom = ep.received("/robot/wecom/");
    assert_eq!(wecom.len(), 1);
    assert_eq!(wecom[0].query, "key=K1");
    assert_eq!(wecom[0].headers["content-type"], "application/json");
    let m = wecom[0].json();
    assert_eq!(m["msgtype"], "markdown");
    let content = m["markdown"]["content"].as_str().unwrap_or("");
    assert_eq!(content.matches(&number).count(), 1, "{content}");
    assert!(content.contains("期限 2026-12-31"), "{content}");
    assert!(
        content.contains(&format!("(http://zgt.test/items/{})", w.item)),
        "{content}"
    );
    // The other district's group hears nothing of this item.
    assert!(ep.received("/robot/wecom-gg/").is_empty());

    // DingTalk: markdown with title and text, and a signature that verifies.
    let ding = ep.received("/robot/dingtalk/");
    assert_eq!(ding.len(), 1);
    let m = ding[0].json();
    assert_eq!(m["msgtype"], "markdown");
    assert!(
        m["markdown"]["title"]
            .as_str()
            .unwrap_or("")
            .contains("整改通")
    );
    assert!(
        m["markdown"]["text"]
            .as_str()
            .unwrap_or("")
            .contains(&number)
    );
    let query: HashMap<String, String> = form_urlencoded::parse(ding[0].query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(query["access_token"], "T1");
    let timestamp = &query["timestamp"];
    assert!((timestamp.parse::<i64>().unwrap_or(0) - Utc::now().timestamp_millis()).abs() < 60_000);
    let expected = {
        use base64::Engine;
        use hmac::Mac;
        let mut mac = <hmac::Hmac<Sha256> as Mac>::new_from_slice(b"SECtest")
            .unwrap_or_else(|e| panic!("{e}"));
        mac.update(format!("{timestamp}\nSECtest").as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    };
    assert_eq!(query["sign"], expected);

    // A robot that refuses: failed, with its reason in the log.
    let log = ok(dispatch::recent_deliveries(&w.db, &admin).await);
    let refused = log
        .iter()
        .find(|d| d.target == "旧群")
        .unwrap_or_else(|| panic!("{log:?}"));
    assert_eq!(refused.state, "failed");
    assert!(refused.detail.contains("310000"));

    // SMS: the template filled for the one recipient with a phone number.
    let sms = ep.received("/sms/send");
    assert_eq!(sms.len(), 1);
    let m = sms[0].json();
    assert_eq!(m["phone"], "13812345678");
    assert!(m["text"].as_str().unwrap_or("").contains(&number));
    assert!(
        log.iter()
            .any(|d| d.kind == "sms" && d.target == "138****5678" && d.state == "sent")
    );
    // The item shows every channel it went out on.
    let kinds: Vec<String> = ok(ledger::get_item(&w.db, &w.head, &w.item, now).await)
        .deliveries
        .into_iter()
        .map(|d| d.kind)
        .collect();
    for kind in ["wecom", "dingtalk", "sms"] {
        assert!(kinds.iter().any(|k| k == kind), "{kinds:?}");
    }
}

#[tokio::test]
async fn only_the_administrator_configures_channels_and_bad_input_changes_nothing() {
    let w = world().await;
    let admin = user(&w.db, "admin", "administrator", "", "").await;
    let form = |kind: &str, url: &str, scope: &str| ChannelForm {
        kind: kind.into(),
        name: "群".into(),
        url: url.into(),
        scope: scope.into(),
        ..ChannelForm::default()
    };
    let now = at("2026-12-01");
    assert_eq!(
        dispatch::add_channel(
            &w.db,
            &w.central,
            &form("wecom", "http://127.0.0.1:9/x", ""),
            now
        )
        .await,
        Err(AppError::Forbidden)
    );
    for bad in [
        form("fax", "http://127.0.0.1:9/x", ""),
        form("wecom", "javascript:alert(1)", ""),
        form("wecom", "http://127.0.0.1:9/x", "district:nowhere"),
        form("wecom", "http://127.0.0.1:9/x", "planet:mars"),
    ] {
        assert!(matches!(
            dispatch::add_channel(&w.db, &admin, &bad, now).await,
            Err(AppError::Validation { .. })
        ));
    }
    assert!(ok(dispatch::channels(&w.db, &admin).await).is_empty());
    assert_eq!(
        dispatch::channels(&w.db, &w.central).await,
        Err(AppError::Forbidden)
    );
    let id = ok(dispatch::add_channel(
        &w.db,
        &admin,
        &form("wecom", "http://127.0.0.1:9/x?key=SECRET", ""),
        now,
    )
    .await);
    let listed = ok(dispatch::channels(&w.db, &admin).await);
    assert_eq!(listed.len(), 1);
    assert!(!listed[0].url_shown.contains("SECRET"));
    assert_eq!(
        dispatch::remove_channel(&w.db, &w.head, &id).await,
        Err(AppError::Forbidden)
    );
    ok(dispatch::remove_channel(&w.db, &admin, &id).await);
    assert_eq!(
        dispatch::remove_channel(&w.db, &admin, &id).await,
        Err(AppError::NotFound)
    );
}

// ---- The weekly summary --------------------------------------------------------------

#[tokio::test]
async fn the_weekly_summary_reaches_the_central_office_on_monday_morning_once() {
    let w = world().await;
    let summaries = |entries: Vec<app::reminders::InboxEntry>| {
        entries
            .into_iter()
            .filter(|e| e.rule == "weekly_summary")
            .collect::<Vec<_>>()
    };
    // Sunday: nothing yet.
    ok(reminders::tick(&w.db, "a", at("2026-12-27")).await);
    assert!(summaries(ok(reminders::inbox(&w.db, &w.central).await)).is_empty());
    // Monday 10:00 Shanghai: one summary with the figures of the moment.
    ok(reminders::tick(&w.db, "a", at("2026-12-28")).await);
    ok(reminders::tick(&w.db, "b", at("2026-12-28") + Duration::hours(1)).await);
    let got = summaries(ok(reminders::inbox(&w.db, &w.central).await));
    assert_eq!(got.len(), 1);
    let f = got[0]
        .figures
        .clone()
        .unwrap_or_else(|| panic!("no figures"));
    assert_eq!(
        (f.open, f.overdue, f.due_this_week, f.closed_last_week),
        (1, 0, 1, 0)
    );
    assert!(got[0].item_id.is_empty());
    // Nobody else gets it; a week later the next one, with the item now overdue.
    assert!(summaries(ok(reminders::inbox(&w.db, &w.head).await)).is_empty());
    ok(reminders::tick(&w.db, "a", at("2027-01-04")).await);
    let got = summaries(ok(reminders::inbox(&w.db, &w.central).await));
    assert_eq!(got.len(), 2);
    let f = got[0].figures.clone().unwrap_or_default();
    assert_eq!((f.open, f.overdue, f.due_this_week), (1, 1, 0));
}
