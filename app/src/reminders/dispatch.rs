//! The channels beyond the inbox (server only). When the scheduler delivers a run's
//! reminders to the inbox it also writes, in the same transaction, one `delivery` row per
//! message to send: a Web Push per device of each recipient, one group message per
//! WeChat Work or DingTalk robot whose district or unit the items belong to, one SMS per
//! recipient with a phone number. Each row is then sent under a lease (several instances
//! never send it twice), held through quiet hours, retried with backoff on 429/5xx and
//! network errors, and every attempt is logged on the row: the proof of every prompt.

use super::messages::{self, Line};
use super::push::{self, VapidKeys};
use super::push_services::{PushResolver, PushServices};
use super::{ChannelEntry, DeliveryEntry, Figures, ReminderSettings};
use crate::AppError;
use crate::auth::{Role, SessionUser};
use crate::db::{Db, key_of, record, select_where_in};
use crate::i18n::Locale;
use crate::ledger::calendar::local_stamp;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use surrealdb::types::{RecordId, SurrealValue};

use super::service::db_err;

/// How long a send may hold its row before another instance takes it over.
pub const LEASE_SECONDS: i64 = 120;
/// Attempts before a delivery is given up as failed.
pub const MAX_ATTEMPTS: i64 = 6;

/// The wait before attempt `n + 1` after `n` failed ones: 1 min, 5 min, 30 min, 2 h, 6 h.
pub fn backoff(attempts: i64) -> Duration {
    match attempts {
        ..=1 => Duration::minutes(1),
        2 => Duration::minutes(5),
        3 => Duration::minutes(30),
        4 => Duration::hours(2),
        _ => Duration::hours(6),
    }
}

/// How long one request may take before it counts as no answer.
pub const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How many messages a run sends at once, and at most to one host: a push service or
/// robot that does not answer holds only its own share, never the whole run.
pub const SEND_AT_ONCE: usize = 32;
pub const SEND_AT_ONCE_PER_HOST: usize = 4;
/// How long a run starts new sends; what it has not started by then it leaves, untried,
/// to the next run. With [`SEND_TIMEOUT`] this keeps a run well inside its lease.
pub const SEND_WITHIN: std::time::Duration = std::time::Duration::from_secs(60);
/// How many devices receive one person's pushes; a new one beyond replaces the one
/// not seen longest.
pub const DEVICES_PER_USER: usize = 10;

/// What sending needs: HTTP clients (rustls), the VAPID identity, the contact named in
/// VAPID tokens, the public address of the app for links in group messages, and where
/// pushes may go.
#[derive(Clone)]
pub struct Outbound {
    /// For robots and the SMS gateway: addresses the administrator configured.
    pub client: reqwest::Client,
    /// For push endpoints, which users hand in: public addresses only
    /// ([`PushResolver`]), no proxy, no redirects.
    pub push_client: reqwest::Client,
    pub vapid: VapidKeys,
    pub subject: String,
    pub public_url: Option<String>,
    pub push_services: PushServices,
}

impl Outbound {
    pub async fn new(
        db: &Db,
        subject: &str,
        public_url: Option<String>,
        push_services: PushServices,
    ) -> Result<Outbound, AppError> {
        let (client, push_client) = clients(&push_services, SEND_TIMEOUT)?;
        Ok(Outbound {
            client,
            push_client,
            vapid: vapid_keys(db).await?,
            subject: subject.to_string(),
            public_url: public_url.map(|u| u.trim_end_matches('/').to_string()),
            push_services,
        })
    }

    /// The same, each request given at most `timeout` (tests of endpoints that never
    /// answer).
    pub fn with_timeout(self, timeout: std::time::Duration) -> Result<Outbound, AppError> {
        let (client, push_client) = clients(&self.push_services, timeout)?;
        Ok(Outbound {
            client,
            push_client,
            ..self
        })
    }
}

fn clients(
    services: &PushServices,
    timeout: std::time::Duration,
) -> Result<(reqwest::Client, reqwest::Client), AppError> {
    let base = || {
        reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(std::time::Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
    };
    let client = base().build().map_err(AppError::internal)?;
    let push_client = base()
        .no_proxy()
        .dns_resolver(std::sync::Arc::new(PushResolver(services.clone())))
        .build()
        .map_err(AppError::internal)?;
    Ok((client, push_client))
}

/// The VAPID key pair, made and stored on first use (two instances at once keep one).
pub async fn vapid_keys(db: &Db) -> Result<VapidKeys, AppError> {
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Stored {
        private_key: String,
    }
    let read = || async {
        let stored: Option<Stored> = db
            .query("SELECT private_key FROM ONLY push_identity:vapid")
            .await
            .map_err(db_err)?
            .take(0)
            .map_err(db_err)?;
        Ok::<_, AppError>(stored.and_then(|s| VapidKeys::from_private(&s.private_key)))
    };
    if let Some(keys) = read().await? {
        return Ok(keys);
    }
    let fresh = VapidKeys::generate();
    db.query(
        "INSERT IGNORE INTO push_identity { id: push_identity:vapid, private_key: $private,
            public_key: $public, created_at: time::now() }",
    )
    .bind(("private", fresh.private_b64()))
    .bind(("public", fresh.public_b64()))
    .await
    .map_err(db_err)?
    .check()
    .map_err(db_err)?;
    read()
        .await?
        .ok_or_else(|| AppError::internal("no VAPID key after storing one"))
}

/// Quiet hours and the summary time; the defaults until the administrator changes them.
pub async fn reminder_settings(db: &Db) -> Result<ReminderSettings, AppError> {
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Row {
        quiet_from: String,
        quiet_until: String,
        summary_time: String,
    }
    let row: Option<Row> = db
        .query("SELECT quiet_from, quiet_until, summary_time FROM ONLY reminder_settings:current")
        .await
        .map_err(db_err)?
        .take(0)
        .map_err(db_err)?;
    Ok(
        row.map_or_else(ReminderSettings::default, |r| ReminderSettings {
            quiet_from: r.quiet_from,
            quiet_until: r.quiet_until,
            summary_time: r.summary_time,
        }),
    )
}

/// The administrator sets quiet hours and the summary time; bad times change nothing.
pub async fn save_reminder_settings(
    db: &Db,
    user: &SessionUser,
    quiet_from: &str,
    quiet_until: &str,
    summary_time: &str,
) -> Result<(), AppError> {
    require_admin(user)?;
    let (from, until) = super::ladder::valid_quiet_hours(quiet_from, quiet_until)?;
    let summary = super::ladder::parse_time_of_day(summary_time).ok_or(AppError::invalid(
        crate::error::Field::QuietHours,
        crate::error::Problem::Invalid,
    ))?;
    let hm = |t: NaiveTime| t.format("%H:%M").to_string();
    db.query(
        "UPSERT reminder_settings:current SET quiet_from = $from, quiet_until = $until,
            summary_time = $summary",
    )
    .bind(("from", hm(from)))
    .bind(("until", hm(until)))
    .bind(("summary", hm(summary)))
    .await
    .map_err(db_err)?
    .check()
    .map_err(db_err)?;
    Ok(())
}

/// When something due now may be sent, after the configured quiet hours.
pub fn release(settings: &ReminderSettings, at: DateTime<Utc>) -> DateTime<Utc> {
    use super::ladder::{parse_time_of_day, release_after_quiet, release_time};
    match (
        parse_time_of_day(&settings.quiet_from),
        parse_time_of_day(&settings.quiet_until),
    ) {
        (Some(from), Some(until)) => release_after_quiet(at, from, until),
        _ => release_time(at),
    }
}

/// A reminder being delivered, with what the channels need to know about it.
#[derive(SurrealValue, Clone)]
#[surreal(crate = "surrealdb::types")]
pub(crate) struct Claimed {
    pub id: RecordId,
    pub recipient: RecordId,
    pub locale: Option<String>,
    pub phone: Option<String>,
    pub item: Option<RecordId>,
    pub ret: Option<RecordId>,
    pub number: Option<String>,
    pub unit: Option<RecordId>,
    pub unit_name: Option<String>,
    pub district: Option<RecordId>,
    pub rule: String,
    pub deadline: Option<String>,
    pub summary: Option<Figures>,
}

impl Claimed {
    fn line(&self) -> Line {
        Line {
            item_id: self.item.as_ref().map(key_of),
            path: self.ret.as_ref().map(|r| format!("/returns/{}", key_of(r))),
            number: self.number.clone().unwrap_or_default(),
            unit_name: self.unit_name.clone().unwrap_or_default(),
            rule: self.rule.clone(),
            deadline: self.deadline.clone().unwrap_or_default(),
            figures: self.summary.clone(),
        }
    }

    fn locale(&self) -> Locale {
        locale_of(self.locale.as_deref())
    }
}

/// A user's stored interface language (Simplified Chinese unless English).
fn locale_of(code: Option<&str>) -> Locale {
    if code == Some("en") {
        Locale::en
    } else {
        Locale::zh
    }
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Subscription {
    id: RecordId,
    user: RecordId,
    endpoint: String,
}

#[derive(SurrealValue, Clone)]
#[surreal(crate = "surrealdb::types")]
struct ChannelRow {
    id: RecordId,
    kind: String,
    name: String,
    url: String,
    secret: Option<String>,
    template: Option<String>,
    scope_district: Option<RecordId>,
    scope_unit: Option<RecordId>,
}

impl ChannelRow {
    /// Whether a reminder belongs in this channel: an item of its unit or district, or
    /// anything when it serves the whole city.
    fn covers(&self, r: &Claimed) -> bool {
        match (&self.scope_unit, &self.scope_district) {
            (Some(u), _) => r.unit.as_ref() == Some(u),
            (None, Some(d)) => r.district.as_ref() == Some(d),
            (None, None) => true,
        }
    }
}

/// "138****0000": enough to tell numbers apart, not enough to read one off the log.
fn masked_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "****".to_string();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// A push endpoint as the log shows it: the push service's host.
fn endpoint_host(endpoint: &str) -> String {
    reqwest::Url::parse(endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}

/// The delivery rows for a run's reminders (not yet written).
pub(crate) async fn plan_deliveries(
    db: &Db,
    out_public_url: Option<&str>,
    claimed: &[Claimed],
    now: DateTime<Utc>,
) -> Result<Vec<NewDelivery>, AppError> {
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let settings = reminder_settings(db).await?;
    let due_at = release(&settings, now);
    let mut users: Vec<RecordId> = claimed.iter().map(|c| c.recipient.clone()).collect();
    users.sort_by_key(key_of);
    users.dedup();
    let mut response = db
        .query(format!(
            "RETURN {};
             SELECT id, kind, name, url, secret, template, scope_district, scope_unit
                FROM channel WHERE enabled = true ORDER BY created_at;",
            select_where_in(
                "SELECT id, user, endpoint FROM push_subscription",
                "user",
                "$users",
                ""
            )
        ))
        .bind(("users", users))
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?;
    let subscriptions: Vec<Subscription> = response.take(0).map_err(db_err)?;
    let channels: Vec<ChannelRow> = response.take(1).map_err(db_err)?;

    let mut by_person: BTreeMap<String, Vec<&Claimed>> = BTreeMap::new();
    for c in claimed {
        by_person.entry(key_of(&c.recipient)).or_default().push(c);
    }
    let ids = |rs: &[&Claimed]| rs.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    let mut rows = Vec::new();
    // Web Push: one message per device of each person.
    for s in &subscriptions {
        let Some(mine) = by_person.get(&key_of(&s.user)) else {
            continue;
        };
        let lines: Vec<Line> = mine.iter().map(|c| c.line()).collect();
        let locale = mine.first().map_or(Locale::zh, |c| c.locale());
        rows.push(NewDelivery {
            subscription: Some(s.id.clone()),
            recipient: Some(s.user.clone()),
            reminders: ids(mine),
            ..NewDelivery::new(
                "push",
                endpoint_host(&s.endpoint),
                messages::push_payload(locale, &lines).to_string(),
                due_at,
            )
        });
    }
    for ch in &channels {
        let covered: Vec<&Claimed> = claimed.iter().filter(|c| ch.covers(c)).collect();
        if covered.is_empty() {
            continue;
        }
        match ch.kind.as_str() {
            "wecom" | "dingtalk" => {
                // A group hears of each item and milestone once, however many of its
                // members were reminded.
                let mut lines: Vec<Line> = Vec::new();
                for c in &covered {
                    let line = c.line();
                    if !lines
                        .iter()
                        .any(|l| l.item_id == line.item_id && l.rule == line.rule)
                    {
                        lines.push(line);
                    }
                }
                let body = if ch.kind == "wecom" {
                    messages::wecom_body(&lines, out_public_url)
                } else {
                    messages::dingtalk_body(&lines, out_public_url)
                };
                rows.push(NewDelivery {
                    channel: Some(ch.id.clone()),
                    reminders: ids(&covered),
                    ..NewDelivery::new(&ch.kind, ch.name.clone(), body.to_string(), due_at)
                });
            }
            "sms" => {
                let template = ch
                    .template
                    .clone()
                    .unwrap_or_else(|| messages::DEFAULT_SMS_TEMPLATE.to_string());
                let mut per: BTreeMap<String, Vec<&Claimed>> = BTreeMap::new();
                for c in covered {
                    if c.phone.as_deref().is_some_and(|p| !p.trim().is_empty()) {
                        per.entry(key_of(&c.recipient)).or_default().push(c);
                    }
                }
                for mine in per.into_values() {
                    let Some(first) = mine.first() else { continue };
                    let phone = first.phone.clone().unwrap_or_default();
                    let lines: Vec<Line> = mine.iter().map(|c| c.line()).collect();
                    let text = messages::sms_text(first.locale(), &lines);
                    rows.push(NewDelivery {
                        channel: Some(ch.id.clone()),
                        recipient: Some(first.recipient.clone()),
                        reminders: ids(&mine),
                        ..NewDelivery::new(
                            "sms",
                            masked_phone(&phone),
                            messages::sms_body(&template, phone.trim(), &text),
                            due_at,
                        )
                    });
                }
            }
            _ => {}
        }
    }
    Ok(rows)
}

/// A message to send, as planned; written by [`CREATE_DELIVERIES`].
#[derive(SurrealValue, Clone, Debug)]
#[surreal(crate = "surrealdb::types")]
pub(crate) struct NewDelivery {
    kind: String,
    channel: Option<RecordId>,
    subscription: Option<RecordId>,
    recipient: Option<RecordId>,
    target: String,
    reminders: Vec<RecordId>,
    payload: String,
    due_at: DateTime<Utc>,
}

impl NewDelivery {
    fn new(kind: &str, target: String, payload: String, due_at: DateTime<Utc>) -> NewDelivery {
        NewDelivery {
            kind: kind.to_string(),
            channel: None,
            subscription: None,
            recipient: None,
            target,
            reminders: Vec::new(),
            payload,
            due_at,
        }
    }
}

/// The SurrealQL that writes planned delivery rows (bound as `$deliveries`, `$now`).
pub(crate) const CREATE_DELIVERIES: &str = "FOR $d IN $deliveries {
        CREATE delivery CONTENT {
            kind: $d.kind, channel: $d.channel, subscription: $d.subscription,
            recipient: $d.recipient, target: $d.target, reminders: $d.reminders,
            payload: $d.payload, state: 'pending', attempts: 0,
            due_at: $d.due_at, created_at: $now, log: []
        };
    }";

/// What one attempt came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent(String),
    /// The push service says the subscription is no more (404/410): delete it.
    Gone(String),
    /// Worth trying again later (429, 5xx, the network).
    Retry(String),
    /// The service did not answer (no connection, or none in time): worth trying again
    /// later, and not worth trying its other messages in this run.
    NoAnswer(String),
    /// Refused for good (other 4xx, the robot's error code).
    Failed(String),
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Due {
    id: RecordId,
    kind: String,
    payload: String,
    attempts: i64,
    url: Option<String>,
    secret: Option<String>,
    template: Option<String>,
    endpoint: Option<String>,
    p256dh: Option<String>,
    auth: Option<String>,
    subscription: Option<RecordId>,
}

/// Counts of one dispatch run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dispatched {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub gone: usize,
}

/// Send every delivery that is due, under a lease. Returns what came of them.
pub async fn dispatch(
    db: &Db,
    out: &Outbound,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<Dispatched, AppError> {
    let mut claimed: Vec<Due> = Vec::new();
    for _ in 0..5 {
        match claim(db, worker, now).await {
            Ok(rows) => {
                claimed = rows;
                break;
            }
            Err(AppError::WrongState) => continue,
            Err(e) => return Err(e),
        }
    }
    let settings = reminder_settings(db).await?;
    let mut report = Dispatched::default();
    let mut sending = send_all(out, claimed);
    while let Some(done) = sending.join_next().await {
        let (d, outcome) = done.map_err(AppError::internal)?;
        let Some(outcome) = outcome else {
            give_back(db, worker, &d).await?;
            continue;
        };
        match &outcome {
            Outcome::Sent(_) => report.sent += 1,
            Outcome::Gone(_) => report.gone += 1,
            Outcome::Retry(_) | Outcome::NoAnswer(_) if d.attempts + 1 < MAX_ATTEMPTS => {
                report.retried += 1
            }
            Outcome::Retry(_) | Outcome::NoAnswer(_) | Outcome::Failed(_) => report.failed += 1,
        }
        if !matches!(outcome, Outcome::Sent(_)) {
            tracing::warn!(delivery = %key_of(&d.id), kind = %d.kind, ?outcome, "delivery not sent");
        }
        record_outcome(db, worker, &d, outcome, now, &settings).await?;
    }
    Ok(report)
}

/// The host (and port) a delivery goes to, for sending at most
/// [`SEND_AT_ONCE_PER_HOST`] to it.
fn host_of(d: &Due) -> String {
    let address = if d.kind == "push" {
        &d.endpoint
    } else {
        &d.url
    };
    address
        .as_deref()
        .and_then(|a| reqwest::Url::parse(a).ok())
        .map(|u| {
            let host = u.host_str().unwrap_or_default().to_string();
            format!("{host}:{}", u.port_or_known_default().unwrap_or(0))
        })
        .unwrap_or_default()
}

/// Send the claimed deliveries in parallel, [`SEND_AT_ONCE`] at a time and
/// [`SEND_AT_ONCE_PER_HOST`] to one host. Once a host has not answered, its other
/// messages of the run are not tried (a retry later, like the one that failed); what is
/// not started within [`SEND_WITHIN`] comes back without an outcome, untried.
fn send_all(out: &Outbound, claimed: Vec<Due>) -> tokio::task::JoinSet<(Due, Option<Outcome>)> {
    use std::collections::{HashMap, HashSet};
    use std::sync::{Arc, Mutex};
    use tokio::sync::Semaphore;
    let deadline = tokio::time::Instant::now() + SEND_WITHIN;
    let at_once = Arc::new(Semaphore::new(SEND_AT_ONCE));
    let silent: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut per_host: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    for d in claimed {
        let host = host_of(&d);
        let host_gate = per_host
            .entry(host.clone())
            .or_insert_with(|| Arc::new(Semaphore::new(SEND_AT_ONCE_PER_HOST)))
            .clone();
        let (at_once, silent, out) = (at_once.clone(), silent.clone(), out.clone());
        tasks.spawn(async move {
            let gates = tokio::time::timeout_at(deadline, async {
                let host_turn = host_gate.acquire_owned().await;
                let turn = at_once.acquire_owned().await;
                (host_turn, turn)
            })
            .await;
            let Ok(_turns) = gates else {
                return (d, None);
            };
            let is_silent = |s: &Mutex<HashSet<String>>| {
                s.lock().unwrap_or_else(|e| e.into_inner()).contains(&host)
            };
            if is_silent(&silent) {
                let outcome = Outcome::NoAnswer("not tried: its service did not answer".into());
                return (d, Some(outcome));
            }
            let outcome = send(&out, &d, Utc::now()).await;
            if matches!(outcome, Outcome::NoAnswer(_)) {
                silent
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(host);
            }
            (d, Some(outcome))
        });
    }
    tasks
}

/// Give a claimed delivery back untried: the next run sends it.
async fn give_back(db: &Db, worker: &str, d: &Due) -> Result<(), AppError> {
    db.query("UPDATE $id SET lease_owner = NONE, lease_until = NONE WHERE lease_owner = $worker;")
        .bind(("id", d.id.clone()))
        .bind(("worker", worker.to_string()))
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?;
    Ok(())
}

async fn claim(db: &Db, worker: &str, now: DateTime<Utc>) -> Result<Vec<Due>, AppError> {
    // The due rows through their index first: an UPDATE whose WHERE has an OR reads the
    // whole table (every message ever sent).
    db.query(
        "LET $due = SELECT VALUE id FROM delivery WHERE state = 'pending' AND due_at <= $now;
         UPDATE $due SET lease_owner = $worker, lease_until = $until
            WHERE state = 'pending' AND due_at <= $now AND (lease_until = NONE OR lease_until < $now)
            RETURN id, kind, payload, attempts, channel.url AS url, channel.secret AS secret,
                channel.template AS template, subscription, subscription.endpoint AS endpoint,
                subscription.p256dh AS p256dh, subscription.auth AS auth",
    )
    .bind(("worker", worker.to_string()))
    .bind(("until", now + Duration::seconds(LEASE_SECONDS)))
    .bind(("now", now))
    .await
    .map_err(db_err)?
    .check()
    .map_err(db_err)?
    .take(1)
    .map_err(db_err)
}

fn status_outcome(status: reqwest::StatusCode, body: &str) -> Outcome {
    let detail = format!(
        "HTTP {} {}",
        status.as_u16(),
        body.chars().take(200).collect::<String>()
    )
    .trim()
    .to_string();
    match status.as_u16() {
        200..=299 => Outcome::Sent(detail),
        429 | 500..=599 => Outcome::Retry(detail),
        _ => Outcome::Failed(detail),
    }
}

/// The robots answer HTTP 200 with `errcode` 0 on success; their rate limits
/// (WeChat Work 45009, DingTalk 130101) are worth a retry.
fn robot_outcome(status: reqwest::StatusCode, body: &str) -> Outcome {
    if !status.is_success() {
        return status_outcome(status, body);
    }
    let answer: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let code = answer["errcode"].as_i64().unwrap_or(-1);
    let message = answer["errmsg"].as_str().unwrap_or(body).to_string();
    match code {
        0 => Outcome::Sent(format!("errcode 0 {message}").trim().to_string()),
        45009 | 130101 => Outcome::Retry(format!("errcode {code} {message}")),
        _ => Outcome::Failed(format!("errcode {code} {message}")),
    }
}

/// A push service's answer: 404/410 mean the subscription is no more.
fn push_outcome(status: reqwest::StatusCode, body: &str) -> Outcome {
    if matches!(status.as_u16(), 404 | 410) {
        Outcome::Gone(format!("HTTP {}", status.as_u16()))
    } else {
        status_outcome(status, body)
    }
}

/// Send a request and judge the answer; a network failure is worth a retry. What is
/// kept of a failure never holds the address: its query carries the robots' keys.
async fn post(
    request: reqwest::RequestBuilder,
    judge: fn(reqwest::StatusCode, &str) -> Outcome,
) -> Outcome {
    match request.send().await {
        Ok(resp) => {
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            judge(status, &text)
        }
        Err(e) => network_outcome(&e),
    }
}

/// A request that got no answer, said without its address.
fn network_outcome(e: &reqwest::Error) -> Outcome {
    if e.is_timeout() {
        Outcome::NoAnswer("network: no answer in time".into())
    } else if e.is_connect() {
        Outcome::NoAnswer("network: no connection".into())
    } else {
        Outcome::Retry("network: the request failed".into())
    }
}

async fn send(out: &Outbound, d: &Due, now: DateTime<Utc>) -> Outcome {
    if d.kind == "push" {
        let (Some(endpoint), Some(p256dh), Some(auth)) = (&d.endpoint, &d.p256dh, &d.auth) else {
            return Outcome::Gone("subscription removed".into());
        };
        let allowed = reqwest::Url::parse(endpoint).is_ok_and(|url| out.push_services.allow(&url));
        if !allowed {
            return Outcome::Failed("not a browser's push service".into());
        }
        let Ok(body) = push::encrypt(d.payload.as_bytes(), p256dh, auth) else {
            return Outcome::Failed("subscription keys unusable".into());
        };
        let Ok(authorization) = out.vapid.authorization(endpoint, &out.subject, now) else {
            return Outcome::Failed("endpoint is not a URL".into());
        };
        let request = out
            .push_client
            .post(endpoint)
            .header("TTL", "86400")
            .header("Urgency", "normal")
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .header("Authorization", authorization)
            .body(body);
        return post(request, push_outcome).await;
    }
    let Some(url) = &d.url else {
        return Outcome::Failed("channel removed".into());
    };
    let (url, content_type, judge): (String, &str, fn(reqwest::StatusCode, &str) -> Outcome) =
        match d.kind.as_str() {
            "wecom" => (url.clone(), "application/json", robot_outcome),
            "dingtalk" => match d.secret.as_deref().filter(|s| !s.is_empty()) {
                Some(secret) => (
                    messages::dingtalk_signed_url(url, secret, now.timestamp_millis()),
                    "application/json",
                    robot_outcome,
                ),
                None => (url.clone(), "application/json", robot_outcome),
            },
            "sms" => {
                let json_body = d
                    .template
                    .as_deref()
                    .unwrap_or(messages::DEFAULT_SMS_TEMPLATE)
                    .trim_start()
                    .starts_with('{');
                let content_type = if json_body {
                    "application/json"
                } else {
                    "application/x-www-form-urlencoded"
                };
                (url.clone(), content_type, status_outcome)
            }
            other => return Outcome::Failed(format!("unknown channel {other}")),
        };
    let request = out
        .client
        .post(url)
        .header("Content-Type", content_type)
        .body(d.payload.clone());
    post(request, judge).await
}

async fn record_outcome(
    db: &Db,
    worker: &str,
    d: &Due,
    outcome: Outcome,
    now: DateTime<Utc>,
    settings: &ReminderSettings,
) -> Result<(), AppError> {
    let attempts = d.attempts + 1;
    let (state, label, detail, next) = match outcome {
        Outcome::Sent(x) => ("sent", "sent", x, None),
        Outcome::Gone(x) => ("gone", "gone", x, None),
        Outcome::Failed(x) => ("failed", "failed", x, None),
        Outcome::Retry(x) | Outcome::NoAnswer(x) if attempts < MAX_ATTEMPTS => (
            "pending",
            "retry",
            x,
            Some(release(settings, now + backoff(attempts))),
        ),
        Outcome::Retry(x) | Outcome::NoAnswer(x) => ("failed", "failed", x, None),
    };
    let mut q = db
        .query(
            "UPDATE $id SET state = $state, attempts = $attempts, lease_owner = NONE,
                lease_until = NONE, due_at = $next ?? due_at,
                sent_at = IF $state = 'sent' { $now } ELSE { sent_at },
                log += { at: $now, outcome: $label, detail: $detail }
             WHERE lease_owner = $worker;",
        )
        .bind(("id", d.id.clone()))
        .bind(("state", state))
        .bind(("attempts", attempts))
        .bind(("next", next))
        .bind(("now", now))
        .bind(("label", label))
        .bind(("detail", detail))
        .bind(("worker", worker.to_string()));
    if let (true, Some(sub)) = (state == "gone", &d.subscription) {
        q = q.query("DELETE $sub;").bind(("sub", sub.clone()));
    }
    q.await.map_err(db_err)?.check().map_err(db_err)?;
    Ok(())
}

fn require_admin(user: &SessionUser) -> Result<(), AppError> {
    if user.role == Role::Administrator {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Store (or move to the caller) a device's push subscription. Keys must be a P-256
/// point and a 16-byte secret, the endpoint on a push service browsers use
/// ([`PushServices`]). A person keeps at most [`DEVICES_PER_USER`] devices: the one not
/// seen longest gives way.
#[allow(clippy::too_many_arguments)]
pub async fn save_subscription(
    db: &Db,
    user: &SessionUser,
    services: &PushServices,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    device: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    use crate::error::{Field, Problem};
    let bad = || AppError::invalid(Field::PushSubscription, Problem::Invalid);
    let endpoint = endpoint.trim();
    let url = reqwest::Url::parse(endpoint).map_err(|_| bad())?;
    if !services.allow(&url) || endpoint.len() > 2000 {
        return Err(bad());
    }
    let key = push::unb64(p256dh).ok_or_else(bad)?;
    if p256::PublicKey::from_sec1_bytes(&key).is_err() {
        return Err(bad());
    }
    if push::unb64(auth).map(|a| a.len()) != Some(16) {
        return Err(bad());
    }
    let id = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(endpoint.as_bytes()))
    };
    db.query(
        "BEGIN;
         UPSERT type::record('push_subscription', $id) SET user = $me, endpoint = $endpoint,
            p256dh = $p256dh, auth = $auth_secret, device = $device,
            created_at = created_at ?? $now, seen_at = $now;
         LET $beyond = (SELECT id, seen_at ?? created_at AS seen FROM push_subscription
            WHERE user = $me ORDER BY seen DESC START $keep).id;
         FOR $old IN $beyond { DELETE $old; };
         COMMIT;",
    )
    .bind(("id", id))
    .bind(("me", record("user", &user.id)))
    .bind(("endpoint", endpoint.to_string()))
    .bind(("p256dh", push::b64(&key)))
    .bind(("auth_secret", auth.trim().trim_end_matches('=').to_string()))
    .bind(("device", device.chars().take(120).collect::<String>()))
    .bind(("now", now))
    .bind(("keep", DEVICES_PER_USER as i64))
    .await
    .map_err(db_err)?
    .check()
    .map_err(db_err)?;
    Ok(())
}

/// Forget the caller's subscription of this endpoint (someone else's is left alone).
pub async fn forget_subscription(
    db: &Db,
    user: &SessionUser,
    endpoint: &str,
) -> Result<(), AppError> {
    db.query("DELETE push_subscription WHERE endpoint = $endpoint AND user = $me")
        .bind(("endpoint", endpoint.trim().to_string()))
        .bind(("me", record("user", &user.id)))
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?;
    Ok(())
}

/// How many devices receive the caller's pushes.
pub async fn device_count(db: &Db, user: &SessionUser) -> Result<i64, AppError> {
    let n: Option<i64> = db
        .query("RETURN count((SELECT VALUE id FROM push_subscription WHERE user = $me))")
        .bind(("me", record("user", &user.id)))
        .await
        .map_err(db_err)?
        .take(0)
        .map_err(db_err)?;
    Ok(n.unwrap_or(0))
}

/// Queue a test push to each of the caller's devices; the next run sends it.
pub async fn queue_test_push(
    db: &Db,
    user: &SessionUser,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    use leptos_i18n::td_string;
    let locale: Option<String> = db
        .query("SELECT VALUE locale FROM ONLY $me")
        .bind(("me", record("user", &user.id)))
        .await
        .map_err(db_err)?
        .take(0)
        .map_err(db_err)?;
    let locale = locale_of(locale.as_deref());
    let subs: Vec<Subscription> = db
        .query("SELECT id, user, endpoint FROM push_subscription WHERE user = $me")
        .bind(("me", record("user", &user.id)))
        .await
        .map_err(db_err)?
        .take(0)
        .map_err(db_err)?;
    if subs.is_empty() {
        return Err(AppError::invalid(
            crate::error::Field::PushSubscription,
            crate::error::Problem::Required,
        ));
    }
    let payload = json!({
        "title": td_string!(locale, reminder.test_title).to_string(),
        "body": td_string!(locale, reminder.test_body).to_string(),
        "url": "/me", "tag": "rectify-test",
    })
    .to_string();
    let rows: Vec<NewDelivery> = subs
        .iter()
        .map(|s| NewDelivery {
            subscription: Some(s.id.clone()),
            recipient: Some(s.user.clone()),
            ..NewDelivery::new("push", endpoint_host(&s.endpoint), payload.clone(), now)
        })
        .collect();
    let n = rows.len();
    create_deliveries(db, rows, now).await?;
    Ok(n)
}

async fn create_deliveries(
    db: &Db,
    rows: Vec<NewDelivery>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    db.query(CREATE_DELIVERIES)
        .bind(("deliveries", rows))
        .bind(("now", now))
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?;
    Ok(())
}

/// Every configured channel, for the administrator.
pub async fn channels(db: &Db, user: &SessionUser) -> Result<Vec<ChannelEntry>, AppError> {
    require_admin(user)?;
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Row {
        id: RecordId,
        kind: String,
        name: String,
        url: String,
        secret: Option<String>,
        scope_name: Option<String>,
    }
    let rows: Vec<Row> = db
        .query(
            "SELECT id, kind, name, url, secret,
                (scope_unit.name ?? scope_district.name) AS scope_name
             FROM channel ORDER BY created_at",
        )
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?
        .take(0)
        .map_err(db_err)?;
    Ok(rows
        .into_iter()
        .map(|r| ChannelEntry {
            id: key_of(&r.id),
            kind: r.kind,
            name: r.name,
            url_shown: shown_url(&r.url),
            signed: r.secret.is_some_and(|s| !s.is_empty()),
            scope_name: r.scope_name.unwrap_or_default(),
        })
        .collect())
}

/// A webhook without its query (robots carry their key in it).
fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let had_query = u.query().is_some();
            u.set_query(None);
            format!("{}{}", u, if had_query { "?…" } else { "" })
        }
        Err(_) => "?".into(),
    }
}

/// The administrator adds a channel for the city, a district (`district:<key>`) or a unit
/// (`unit:<key>`).
pub async fn add_channel(
    db: &Db,
    user: &SessionUser,
    form: &super::ChannelForm,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    require_admin(user)?;
    let (kind, name, url, template) =
        messages::valid_channel(&form.kind, &form.name, &form.url, &form.template)?;
    let bad_scope = || {
        AppError::invalid(
            crate::error::Field::District,
            crate::error::Problem::Invalid,
        )
    };
    let (district, unit) = match form.scope.trim().split_once(':') {
        None if form.scope.trim().is_empty() => (None, None),
        Some(("district", k)) => (Some(record("district", k)), None),
        Some(("unit", k)) => (None, Some(record("unit", k))),
        _ => return Err(bad_scope()),
    };
    for r in district.iter().chain(unit.iter()) {
        if !crate::db::exists(db, r).await? {
            return Err(bad_scope());
        }
    }
    let secret =
        Some(form.secret.trim().to_string()).filter(|s| !s.is_empty() && kind == "dingtalk");
    let id: Option<RecordId> = db
        .query(
            "CREATE ONLY channel CONTENT { kind: $kind, name: $name, url: $url, secret: $secret,
                template: $template, scope_district: $district, scope_unit: $unit,
                enabled: true, created_at: $now } RETURN VALUE id",
        )
        .bind(("kind", kind))
        .bind(("name", name))
        .bind(("url", url))
        .bind(("secret", secret))
        .bind(("template", template))
        .bind(("district", district))
        .bind(("unit", unit))
        .bind(("now", now))
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?
        .take(0)
        .map_err(db_err)?;
    id.map(|i| key_of(&i))
        .ok_or_else(|| AppError::internal("channel not created"))
}

pub async fn remove_channel(db: &Db, user: &SessionUser, id: &str) -> Result<(), AppError> {
    require_admin(user)?;
    let id = record("channel", id.trim());
    if !crate::db::exists(db, &id).await? {
        return Err(AppError::NotFound);
    }
    // Deliveries keep their log; a pending one of a removed channel fails as "removed".
    db.query("DELETE $id")
        .bind(("id", id))
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?;
    Ok(())
}

/// Queue a test message to a channel (an SMS gateway's goes to the administrator's phone).
pub async fn queue_channel_test(
    db: &Db,
    user: &SessionUser,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    use leptos_i18n::td_string;
    require_admin(user)?;
    let ch: Option<ChannelRow> = db
        .query("SELECT id, kind, name, url, secret, template, scope_district, scope_unit FROM ONLY $id")
        .bind(("id", record("channel", id.trim())))
        .await
        .map_err(db_err)?
        .take(0)
        .map_err(db_err)?;
    let ch = ch.ok_or(AppError::NotFound)?;
    let text = td_string!(Locale::zh, reminder.test_group).to_string();
    let payload = match ch.kind.as_str() {
        "wecom" => json!({"msgtype": "markdown", "markdown": {"content": text}}).to_string(),
        "dingtalk" => {
            json!({"msgtype": "markdown", "markdown": {"title": text, "text": text}}).to_string()
        }
        _ => {
            let phone: Option<String> = db
                .query("SELECT VALUE phone FROM ONLY $me")
                .bind(("me", record("user", &user.id)))
                .await
                .map_err(db_err)?
                .take(0)
                .map_err(db_err)?;
            let phone = phone.unwrap_or_default();
            if phone.trim().is_empty() {
                return Err(AppError::invalid(
                    crate::error::Field::Phone,
                    crate::error::Problem::Required,
                ));
            }
            messages::sms_body(
                ch.template
                    .as_deref()
                    .unwrap_or(messages::DEFAULT_SMS_TEMPLATE),
                phone.trim(),
                &text,
            )
        }
    };
    create_deliveries(
        db,
        vec![NewDelivery {
            channel: Some(ch.id.clone()),
            ..NewDelivery::new(&ch.kind, ch.name.clone(), payload, now)
        }],
        now,
    )
    .await
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct LogRow {
    kind: String,
    target: String,
    state: String,
    attempts: i64,
    detail: Option<String>,
    at: DateTime<Utc>,
}

/// The log's lines; `detailed` keeps each last outcome's detail (status, the service's
/// answer), which only the administrator sees: the others see sent, failed or retrying.
fn log_entries(rows: Vec<LogRow>, detailed: bool) -> Vec<DeliveryEntry> {
    rows.into_iter()
        .map(|r| DeliveryEntry {
            kind: r.kind,
            target: r.target,
            state: r.state,
            attempts: r.attempts,
            detail: r.detail.filter(|_| detailed).unwrap_or_default(),
            at: local_stamp(&r.at.to_rfc3339()),
        })
        .collect()
}

const LOG_FIELDS: &str = "kind, target, state, attempts, array::last(log).detail AS detail,
    (array::last(log).at ?? created_at) AS at";

/// The most recent deliveries on every channel, for the administrator.
pub async fn recent_deliveries(
    db: &Db,
    user: &SessionUser,
) -> Result<Vec<DeliveryEntry>, AppError> {
    require_admin(user)?;
    let rows: Vec<LogRow> = db
        .query(format!(
            "SELECT {LOG_FIELDS}, created_at FROM delivery ORDER BY created_at DESC LIMIT 50"
        ))
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?
        .take(0)
        .map_err(db_err)?;
    Ok(log_entries(rows, true))
}

/// The deliveries that told of any of an item's reminders (the caller has checked scope);
/// their details for the administrator only.
pub async fn item_deliveries(
    db: &Db,
    user: &SessionUser,
    item: &RecordId,
) -> Result<Vec<DeliveryEntry>, AppError> {
    let rows: Vec<LogRow> = db
        .query(format!(
            "LET $rs = SELECT VALUE id FROM reminder WHERE item = $item;
             SELECT {LOG_FIELDS}, created_at FROM delivery WHERE reminders CONTAINSANY $rs
                ORDER BY created_at DESC LIMIT 100;"
        ))
        .bind(("item", item.clone()))
        .await
        .map_err(db_err)?
        .check()
        .map_err(db_err)?
        .take(1)
        .map_err(db_err)?;
    Ok(log_entries(rows, user.role == Role::Administrator))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_stop() {
        assert_eq!(backoff(1), Duration::minutes(1));
        assert_eq!(backoff(2), Duration::minutes(5));
        assert_eq!(backoff(5), Duration::hours(6));
        // Every retry before giving up has a wait.
        for n in 1..MAX_ATTEMPTS {
            assert!(backoff(n) >= Duration::minutes(1));
        }
    }

    #[test]
    fn robots_succeed_only_with_errcode_zero() {
        let ok = reqwest::StatusCode::OK;
        assert!(matches!(
            robot_outcome(ok, r#"{"errcode":0,"errmsg":"ok"}"#),
            Outcome::Sent(_)
        ));
        assert!(matches!(
            robot_outcome(ok, r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#),
            Outcome::Retry(_)
        ));
        assert!(matches!(
            robot_outcome(ok, r#"{"errcode":310000,"errmsg":"sign not match"}"#),
            Outcome::Failed(_)
        ));
        assert!(matches!(
            robot_outcome(reqwest::StatusCode::BAD_GATEWAY, ""),
            Outcome::Retry(_)
        ));
    }

    #[test]
    fn logs_show_neither_phone_numbers_nor_robot_keys() {
        assert_eq!(masked_phone("13812345678"), "138****5678");
        assert_eq!(masked_phone("123"), "****");
        assert_eq!(
            shown_url("http://127.0.0.1:9/cgi-bin/webhook/send?key=SECRET"),
            "http://127.0.0.1:9/cgi-bin/webhook/send?…"
        );
    }
}
