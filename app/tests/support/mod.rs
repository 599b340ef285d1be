//! What the reminder tests share: a fresh in-memory database with one city, its people
//! and one item under rectification, and a clock set by the test.
#![allow(dead_code)]

use app::AppError;
use app::admin::NewUser;
use app::admin::service::create_user;
use app::auth::SessionUser;
use app::auth::service::load_session_user;
use app::db::{Db, connect_in_memory, record};
use app::ledger::service as ledger;
use app::ledger::{MeasureInput, NewItem, PlanInput};
use app::org::service::{create_district, create_unit};
use chrono::{DateTime, Utc};

pub fn ok<T>(r: Result<T, AppError>) -> T {
    r.unwrap_or_else(|e| panic!("unexpected error: {e:?}"))
}

/// 10:00 in Shanghai on `date`.
pub fn at(date: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{date}T02:00:00Z"))
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("{e}"))
}

pub struct World {
    pub db: Db,
    pub item: String,
    pub central: SessionUser,
    pub head: SessionUser,
    pub handler: SessionUser,
    pub district: SessionUser,
    pub other_head: SessionUser,
}

pub async fn user(db: &Db, username: &str, role: &str, district: &str, unit: &str) -> SessionUser {
    account(
        db,
        NewUser {
            username: username.into(),
            display_name: username.into(),
            role: role.into(),
            district: district.into(),
            unit: unit.into(),
            ..Default::default()
        },
    )
    .await
}

/// Create an account (password `taizhou2026`) and load it as its session would.
pub async fn account(db: &Db, new: NewUser) -> SessionUser {
    let id = ok(create_user(
        db,
        &NewUser {
            password: "taizhou2026".into(),
            ..new
        },
    )
    .await);
    ok(load_session_user(db, &record("user", &id)).await).unwrap_or_else(|| panic!("no user"))
}

/// One item due 2026-12-31, issued on 2026-11-01 and acknowledged, with a measure due
/// 2026-12-15.
pub async fn world() -> World {
    let db = connect_in_memory().await.unwrap_or_else(|e| panic!("{e}"));
    let d = ok(create_district(&db, "HL", "海陵区", "Hailing").await);
    let d2 = ok(create_district(&db, "GG", "高港区", "Gaogang").await);
    let u = ok(create_unit(&db, &d, "海陵区教育局").await);
    let u2 = ok(create_unit(&db, &d2, "高港区教育局").await);
    let central = user(&db, "central", "central_office", "", "").await;
    let head = user(&db, "head", "unit_head", "", &u).await;
    let handler = user(&db, "handler", "unit_handler", "", &u).await;
    let district = user(&db, "hailing", "district_office", &d, "").await;
    let other_head = user(&db, "other", "unit_head", "", &u2).await;
    let t = at("2026-11-01");
    let (item, _) = ok(ledger::register_item(
        &db,
        &central,
        &NewItem {
            unit: u,
            source: "inspection_tour".into(),
            category: "over_establishment".into(),
            nature: "violation".into(),
            description: "超编进人 2 名".into(),
            found_on: "2026-10-20".into(),
            deadline: "2026-12-31".into(),
            head_name: "head".into(),
            ..NewItem::default()
        },
        t,
    )
    .await);
    ok(ledger::issue(&db, &central, &item, t).await);
    ok(ledger::acknowledge(&db, &head, &item, t).await);
    ok(ledger::submit_plan(
        &db,
        &head,
        &item,
        &PlanInput {
            measures: vec![MeasureInput {
                what: "清退".into(),
                due: "2026-12-15".into(),
                owner: "王强".into(),
            }],
            ..PlanInput::default()
        },
        t,
    )
    .await);
    ok(ledger::approve_plan(&db, &central, &item, t).await);
    World {
        db,
        item,
        central,
        head,
        handler,
        district,
        other_head,
    }
}
