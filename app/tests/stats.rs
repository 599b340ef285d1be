//! The dashboard against a fresh in-memory SurrealDB: a known fixture gives hand-counted
//! figures, a district office sees its district, snapshots never change.
#![cfg(feature = "ssr")]

mod support;

use app::AppError;
use app::auth::SessionUser;
use app::db::{Db, connect_in_memory, record};
use app::ledger::service as ledger;
use app::ledger::{ItemFilter, NewItem};
use app::org::service::{create_district, create_unit};
use app::stats::service as stats;
use support::*;

struct City {
    db: Db,
    central: SessionUser,
    xinghua: SessionUser,
    head: SessionUser,
    items: Vec<String>,
}

/// Register an item of `unit`, then set it as the fixture needs (the figures read the
/// state of the items, however they got there).
async fn item(db: &Db, central: &SessionUser, unit: &str, state: &str) -> String {
    let (id, _) = ok(ledger::register_item(
        db,
        central,
        &NewItem {
            unit: unit.into(),
            source: "inspection_tour".into(),
            category: "over_establishment".into(),
            nature: "violation".into(),
            description: "超编进人".into(),
            found_on: "2026-06-10".into(),
            deadline: "2026-12-31".into(),
            head_name: "某某".into(),
            ..NewItem::default()
        },
        at("2026-06-10"),
    )
    .await);
    db.query(format!("UPDATE $id SET {state}"))
        .bind(("id", record("item", &id)))
        .await
        .and_then(|r| r.check())
        .unwrap_or_else(|e| panic!("{e}"));
    id
}

/// Nine items on Friday 2026-11-27 (week 11-23 … 11-29), counted by hand:
/// found 8 (one withdrawn), closed 3 (2 on time), open 5, overdue 3, due this week 2;
/// open by district: 兴化 2, 泰兴 2, 海陵 1 → the first two hold 80%.
async fn city() -> City {
    let db = connect_in_memory().await.unwrap_or_else(|e| panic!("{e}"));
    let xh = ok(create_district(&db, "XH", "兴化市", "Xinghua").await);
    let tx = ok(create_district(&db, "TX", "泰兴市", "Taixing").await);
    let hl = ok(create_district(&db, "HL", "海陵区", "Hailing").await);
    let gg = ok(create_district(&db, "GG", "高港区", "Gaogang").await);
    let u_xh = ok(create_unit(&db, &xh, "兴化市教育局").await);
    let u_tx = ok(create_unit(&db, &tx, "泰兴市卫健委").await);
    let u_hl = ok(create_unit(&db, &hl, "海陵区教育局").await);
    let u_gg = ok(create_unit(&db, &gg, "高港区民政局").await);
    let central = user(&db, "central", "central_office", "", "").await;
    let xinghua = user(&db, "xinghua", "district_office", &xh, "").await;
    let head = user(&db, "head", "unit_head", "", &u_hl).await;
    let closed = |deadline: &str, on: &str, on_time: bool| {
        format!(
            "status = 'closed', approved_deadline = '{deadline}', closed_on = '{on}', closed_on_time = {on_time}"
        )
    };
    let open = |status: &str, deadline: &str| {
        format!("status = '{status}', approved_deadline = '{deadline}'")
    };
    let mut items = Vec::new();
    for (unit, state) in [
        (&u_xh, closed("2026-09-30", "2026-09-20", true)),
        (&u_xh, closed("2026-09-15", "2026-10-15", false)),
        (&u_xh, open("in_rectification", "2026-11-01")),
        (&u_xh, open("issued", "2026-11-28")),
        (&u_tx, open("in_rectification", "2026-10-31")),
        (&u_tx, open("closure_requested", "2026-12-31")),
        (&u_hl, closed("2026-08-31", "2026-08-01", true)),
        (&u_hl, open("registered", "2026-11-23")),
        (&u_gg, open("withdrawn", "2026-11-01")),
    ] {
        items.push(item(&db, &central, unit, &state).await);
    }
    City {
        db,
        central,
        xinghua,
        head,
        items,
    }
}

fn friday() -> chrono::DateTime<chrono::Utc> {
    at("2026-11-27")
}

#[tokio::test]
async fn the_figures_of_a_known_fixture_equal_the_hand_count() {
    let c = city().await;
    let d = ok(stats::dashboard(&c.db, &c.central, friday()).await);
    let t = d.totals;
    assert_eq!(
        (
            t.found,
            t.closed,
            t.closed_on_time,
            t.open,
            t.overdue,
            t.due_this_week
        ),
        (8, 3, 2, 5, 3, 2)
    );
    assert_eq!(t.on_time_permille(), Some(666));
    assert_eq!(
        (d.week_from.as_str(), d.week_to.as_str()),
        ("2026-11-23", "2026-11-29")
    );
    let districts = &d.splits[0];
    assert_eq!(districts.dimension, "district");
    let xh = &districts.rows[0];
    assert_eq!(
        (xh.label.as_str(), xh.label_en.as_str()),
        ("兴化市", "Xinghua")
    );
    assert_eq!(
        (xh.figures.found, xh.figures.closed, xh.figures.open),
        (4, 2, 2)
    );
    // The withdrawn-only district found nothing.
    assert!(districts.rows.iter().all(|r| r.label != "高港区"));
    assert!(d.concentration.flagged);
    assert_eq!(d.concentration.top_two_permille, 800);
    let categories = d
        .splits
        .iter()
        .find(|s| s.dimension == "category")
        .unwrap_or_else(|| panic!("no split"));
    assert_eq!(categories.rows[0].label, "超编进人");
    assert_eq!(categories.rows[0].figures.found, 8);
    let november = d.trend.last().unwrap_or_else(|| panic!("no trend"));
    assert_eq!(
        (november.month.as_str(), november.overdue_at_end),
        ("2026-11", 3)
    );
}

#[tokio::test]
async fn a_district_office_sees_its_district_and_a_unit_nothing() {
    let c = city().await;
    let d = ok(stats::dashboard(&c.db, &c.xinghua, friday()).await);
    assert_eq!((d.totals.found, d.totals.open, d.totals.overdue), (4, 2, 1));
    assert_eq!(d.scope_name, "兴化市");
    assert_eq!(
        stats::dashboard(&c.db, &c.head, friday()).await,
        Err(AppError::Forbidden)
    );
    // Snapshots are the city's: a district office is not offered them, nor may it freeze.
    assert!(
        ok(stats::view(&c.db, &c.xinghua, "", friday()).await)
            .snapshots
            .is_empty()
    );
    assert_eq!(
        stats::freeze(&c.db, Some(&c.xinghua), None, friday()).await,
        Err(AppError::Forbidden)
    );
}

#[tokio::test]
async fn a_snapshot_is_unchanged_by_later_edits() {
    let c = city().await;
    let id = ok(stats::freeze(&c.db, Some(&c.central), None, friday()).await);
    // Later: an open item is closed on time.
    c.db.query("UPDATE $id SET status = 'closed', closed_on = '2026-11-28', closed_on_time = true")
        .bind(("id", record("item", &c.items[2])))
        .await
        .and_then(|r| r.check())
        .unwrap_or_else(|e| panic!("{e}"));
    let later = at("2026-11-28");
    let live = ok(stats::view(&c.db, &c.central, "", later).await);
    assert_eq!(
        (live.dashboard.totals.closed, live.dashboard.totals.open),
        (4, 4)
    );
    // Live figures compare with the latest snapshot.
    let (_, before) = live
        .previous
        .clone()
        .unwrap_or_else(|| panic!("no snapshot to compare"));
    assert_eq!(before.closed, 3);
    let frozen = ok(stats::view(&c.db, &c.central, &id, later).await);
    assert_eq!(
        (frozen.dashboard.totals.closed, frozen.dashboard.totals.open),
        (3, 5)
    );
    assert_eq!(frozen.dashboard.today, "2026-11-27");
    assert_eq!(
        stats::view(&c.db, &c.central, "nonexistent", later)
            .await
            .map(|v| v.dashboard.totals),
        Err(AppError::NotFound)
    );
}

#[tokio::test]
async fn the_month_is_frozen_once_on_the_first_days_of_the_next() {
    let c = city().await;
    assert_eq!(
        ok(stats::monthly_snapshot(&c.db, at("2026-11-27")).await),
        None
    );
    let first = ok(stats::monthly_snapshot(&c.db, at("2026-12-01")).await);
    assert_eq!(first.as_deref(), Some("m2026-11"));
    assert_eq!(
        ok(stats::monthly_snapshot(&c.db, at("2026-12-02")).await),
        None
    );
    let view = ok(stats::view(&c.db, &c.central, "", at("2026-12-02")).await);
    assert_eq!(view.snapshots.len(), 1);
    assert_eq!(view.snapshots[0].label, "2026-11");
    assert!(view.snapshots[0].monthly);
}

#[tokio::test]
async fn the_counted_facts_catch_up_with_every_write_and_stay_with_their_database() {
    let c = city().await;
    let before = ok(stats::dashboard(&c.db, &c.central, friday()).await).totals;
    assert_eq!((before.found, before.open), (8, 5));
    // Another database in the same process has its own facts.
    let other = city().await;
    other
        .db
        .query("UPDATE item SET status = 'withdrawn'")
        .await
        .and_then(|r| r.check())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        ok(stats::dashboard(&other.db, &other.central, friday()).await)
            .totals
            .found,
        0
    );
    // Written after the first count: a new item, and a step on an old one.
    let unit: String =
        c.db.query("SELECT VALUE meta::id(unit) FROM ONLY $id")
            .bind(("id", record("item", &c.items[0])))
            .await
            .and_then(|mut r| r.take::<Option<String>>(0))
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_default();
    item(
        &c.db,
        &c.central,
        &unit,
        "status = 'issued', approved_deadline = '2026-11-20'",
    )
    .await;
    c.db.query(
        "UPDATE $id SET status = 'closed', closed_on = '2026-11-27', closed_on_time = false",
    )
    .bind(("id", record("item", &c.items[4])))
    .await
    .and_then(|r| r.check())
    .unwrap_or_else(|e| panic!("{e}"));
    let after = ok(stats::dashboard(&c.db, &c.central, friday()).await).totals;
    assert_eq!(
        (after.found, after.open, after.closed, after.overdue),
        (9, 5, 4, 3)
    );
    assert_eq!(
        ok(stats::dashboard(&c.db, &c.central, friday()).await).totals,
        after,
        "a view with nothing new counts the same"
    );
}

/// The central ledger's pages, counted and ordered from the in-memory facts, are the
/// pages the database's own query gives, for every filter the facts answer.
#[tokio::test]
async fn the_ledger_pages_from_the_facts_equal_the_databases() {
    let c = city().await;
    // Enough items for three pages, with ties on the deadline.
    let unit: String =
        c.db.query("SELECT VALUE meta::id(unit) FROM ONLY $id")
            .bind(("id", record("item", &c.items[6])))
            .await
            .and_then(|mut r| r.take::<Option<String>>(0))
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_default();
    for n in 0..36 {
        let state = match n % 4 {
            0 => "status = 'issued', approved_deadline = '2026-11-20'".to_string(),
            1 => format!(
                "status = 'in_rectification', approved_deadline = '2026-12-{:02}'",
                1 + n % 9
            ),
            2 => "status = 'closed', closed_on = '2026-10-01', closed_on_time = true".to_string(),
            _ => "status = 'plan_review', found_on = '2026-07-01'".to_string(),
        };
        item(&c.db, &c.central, &unit, &state).await;
    }
    let district: String =
        c.db.query("SELECT VALUE meta::id(district) FROM ONLY $id")
            .bind(("id", record("item", &c.items[6])))
            .await
            .and_then(|mut r| r.take::<Option<String>>(0))
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_default();
    let filters = [
        ItemFilter::default(),
        ItemFilter {
            status: "open".into(),
            ..ItemFilter::default()
        },
        ItemFilter {
            status: "found".into(),
            ..ItemFilter::default()
        },
        ItemFilter {
            status: "closed".into(),
            ..ItemFilter::default()
        },
        ItemFilter {
            status: "issued".into(),
            ..ItemFilter::default()
        },
        ItemFilter {
            overdue: "1".into(),
            ..ItemFilter::default()
        },
        ItemFilter {
            on_time: "1".into(),
            ..ItemFilter::default()
        },
        ItemFilter {
            on_time: "0".into(),
            ..ItemFilter::default()
        },
        ItemFilter {
            district: district.clone(),
            ..ItemFilter::default()
        },
        ItemFilter {
            unit: unit.clone(),
            status: "open".into(),
            ..ItemFilter::default()
        },
        ItemFilter {
            category: "over_establishment".into(),
            ..ItemFilter::default()
        },
        ItemFilter {
            source: "nonexistent".into(),
            ..ItemFilter::default()
        },
        ItemFilter {
            due_from: "2026-11-25".into(),
            due_to: "2026-12-05".into(),
            ..ItemFilter::default()
        },
        ItemFilter {
            sort: "number".into(),
            ..ItemFilter::default()
        },
        ItemFilter {
            sort: "found".into(),
            ..ItemFilter::default()
        },
    ];
    for user in [&c.central, &c.xinghua] {
        for filter in &filters {
            for page in ["1", "2", "3"] {
                let f = ItemFilter {
                    page: page.into(),
                    ..filter.clone()
                };
                let fast = ok(ledger::list_items(&c.db, user, &f, friday()).await);
                let slow = ok(ledger::list_items_by_query(&c.db, user, &f, friday()).await);
                let numbers = |p: &app::ledger::ItemPage| {
                    p.items.iter().map(|i| i.number.clone()).collect::<Vec<_>>()
                };
                assert_eq!(
                    (fast.total, fast.pages, numbers(&fast)),
                    (slow.total, slow.pages, numbers(&slow)),
                    "{} {f:?}",
                    user.username
                );
            }
        }
    }
}
