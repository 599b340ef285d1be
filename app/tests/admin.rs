//! The administrator's services, the schema migrations and the demo city, against a
//! fresh in-memory SurrealDB per test.
#![cfg(feature = "ssr")]

use app::AppError;
use app::admin::NewUser;
use app::admin::service::{create_user, list_users};
use app::db::{Db, MIGRATIONS, apply_migrations, connect_in_memory};
use app::error::{Field, Problem};
use app::org::service::{counts, create_district, create_unit, list_districts, list_units};

async fn db() -> Db {
    match connect_in_memory().await {
        Ok(db) => db,
        Err(e) => panic!("in-memory SurrealDB: {e}"),
    }
}

fn valid_user(unit: &str) -> NewUser {
    NewUser {
        username: "li.na".into(),
        display_name: "李娜".into(),
        phone: "0523-86831234".into(),
        password: "taizhou2026".into(),
        role: "unit_handler".into(),
        unit: unit.into(),
        ..Default::default()
    }
}

async fn one_unit(db: &Db) -> (String, String) {
    let d = create_district(db, "hl", "海陵区", "")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let u = create_unit(db, &d, "海陵区教育局")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (d, u)
}

#[tokio::test]
async fn migrations_run_once_and_are_recorded() {
    let db = db().await;
    // connect() applied them already: a second run applies nothing.
    assert_eq!(apply_migrations(&db).await.ok(), Some(Vec::new()));
    let versions: Vec<i64> = db
        .query("SELECT VALUE version FROM migration ORDER BY version")
        .await
        .and_then(|r| r.check())
        .and_then(|mut r| r.take(0))
        .unwrap_or_default();
    assert_eq!(
        versions,
        MIGRATIONS.iter().map(|m| m.version).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_schema_refuses_a_role_that_does_not_exist() {
    let db = db().await;
    let result = db
        .query("CREATE user SET username = 'x', display_name = 'x', password_hash = 'x', role = 'king', created_at = time::now()")
        .await
        .and_then(|r| r.check());
    assert!(result.is_err());
}

#[tokio::test]
async fn districts_and_units_are_created_listed_and_counted() {
    let db = db().await;
    let (d, _) = one_unit(&db).await;
    let districts = list_districts(&db).await.unwrap_or_default();
    assert_eq!(districts.len(), 1);
    assert_eq!(districts[0].code, "HL");
    assert_eq!(districts[0].name_en, "海陵区");
    assert_eq!(districts[0].unit_count, 1);
    assert_eq!(list_units(&db, Some(&d)).await.unwrap_or_default().len(), 1);
    let c = counts(&db).await.unwrap_or_default();
    assert_eq!((c.districts, c.units, c.users), (1, 1, 0));
}

#[tokio::test]
async fn duplicate_codes_and_names_are_refused() {
    let db = db().await;
    let (d, _) = one_unit(&db).await;
    assert_eq!(
        create_district(&db, "HL", "另一个", "").await,
        Err(AppError::invalid(Field::Code, Problem::Taken))
    );
    assert_eq!(
        create_unit(&db, &d, "海陵区教育局").await,
        Err(AppError::invalid(Field::Name, Problem::Taken))
    );
    assert_eq!(
        create_unit(&db, "no-such-district", "某单位").await,
        Err(AppError::invalid(Field::District, Problem::Invalid))
    );
    assert_eq!(
        create_district(&db, "A B", "某地", "").await,
        Err(AppError::invalid(Field::Code, Problem::Invalid))
    );
    assert_eq!(
        counts(&db).await.map(|c| (c.districts, c.units)),
        Ok((1, 1))
    );
}

#[tokio::test]
async fn a_valid_user_is_created_with_their_scope() {
    let db = db().await;
    let (_, unit) = one_unit(&db).await;
    assert!(create_user(&db, &valid_user(&unit)).await.is_ok());
    let users = list_users(&db, chrono::Utc::now())
        .await
        .unwrap_or_default();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].scope_name.as_deref(), Some("海陵区教育局"));
    assert_eq!(users[0].phone.as_deref(), Some("0523-86831234"));
}

#[tokio::test]
async fn each_bad_field_is_named_and_nothing_is_written() {
    let db = db().await;
    let (district, unit) = one_unit(&db).await;
    let cases: Vec<(NewUser, AppError)> = vec![
        (
            NewUser {
                username: "".into(),
                ..valid_user(&unit)
            },
            AppError::invalid(Field::Username, Problem::Required),
        ),
        (
            NewUser {
                username: "ab".into(),
                ..valid_user(&unit)
            },
            AppError::invalid(Field::Username, Problem::TooShort { min: 3 }),
        ),
        (
            NewUser {
                username: "王丽".into(),
                ..valid_user(&unit)
            },
            AppError::invalid(Field::Username, Problem::Invalid),
        ),
        (
            NewUser {
                display_name: "名".repeat(41),
                ..valid_user(&unit)
            },
            AppError::invalid(Field::DisplayName, Problem::TooLong { max: 40 }),
        ),
        (
            NewUser {
                phone: "call me".into(),
                ..valid_user(&unit)
            },
            AppError::invalid(Field::Phone, Problem::Invalid),
        ),
        (
            NewUser {
                password: "password".into(),
                ..valid_user(&unit)
            },
            AppError::invalid(Field::Password, Problem::Invalid),
        ),
        (
            NewUser {
                role: "".into(),
                ..valid_user(&unit)
            },
            AppError::invalid(Field::Role, Problem::Required),
        ),
        (
            NewUser {
                role: "king".into(),
                ..valid_user(&unit)
            },
            AppError::invalid(Field::Role, Problem::Invalid),
        ),
        (
            NewUser {
                unit: "".into(),
                ..valid_user(&unit)
            },
            AppError::invalid(Field::Unit, Problem::Required),
        ),
        (
            NewUser {
                unit: "nope".into(),
                ..valid_user(&unit)
            },
            AppError::invalid(Field::Unit, Problem::Invalid),
        ),
        (
            NewUser {
                role: "district_office".into(),
                ..valid_user(&unit)
            },
            AppError::invalid(Field::District, Problem::Required),
        ),
        (
            NewUser {
                role: "district_office".into(),
                district: "nope".into(),
                ..valid_user(&unit)
            },
            AppError::invalid(Field::District, Problem::Invalid),
        ),
        (
            NewUser {
                role: "partner".into(),
                ..valid_user(&unit)
            },
            AppError::invalid(Field::Partner, Problem::Required),
        ),
        (
            NewUser {
                role: "partner".into(),
                partner: "army".into(),
                ..valid_user(&unit)
            },
            AppError::invalid(Field::Partner, Problem::Invalid),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(create_user(&db, &input).await, Err(expected));
    }
    assert_eq!(counts(&db).await.map(|c| c.users), Ok(0));
    // A district office with its district is fine; the same username again is not.
    let office = NewUser {
        role: "district_office".into(),
        district,
        unit: String::new(),
        ..valid_user(&unit)
    };
    assert!(create_user(&db, &office).await.is_ok());
    assert_eq!(
        create_user(&db, &valid_user(&unit)).await,
        Err(AppError::invalid(Field::Username, Problem::Taken))
    );
    assert_eq!(counts(&db).await.map(|c| c.users), Ok(1));
}

#[tokio::test]
async fn the_demo_city_loads_once_with_an_account_per_role() {
    let db = db().await;
    assert_eq!(app::demo::ensure_demo_city(&db).await, Ok(()));
    assert_eq!(app::demo::ensure_demo_city(&db).await, Ok(()));
    let c = counts(&db).await.unwrap_or_default();
    assert_eq!((c.districts, c.units, c.users), (7, 62, 8));
    assert_eq!(app::demo::division_count(), 7);
    assert!((55..=65).contains(&app::demo::unit_count()));
    let accounts = app::demo::accounts(&db).await.unwrap_or_default();
    assert_eq!(accounts.len(), 8);
    for role in app::auth::Role::ALL {
        let account = accounts.iter().find(|a| a.role == role);
        let Some(account) = account else {
            panic!("no demo account for {role:?}")
        };
        let signed = app::auth::service::sign_in(
            &db,
            &account.username,
            &account.password,
            chrono::Utc::now(),
        )
        .await;
        assert_eq!(signed.map(|s| s.user.role).ok(), Some(role));
    }
}

#[tokio::test]
async fn the_demo_ledger_reproduces_the_seed() {
    use app::ledger::ItemFilter;
    let db = db().await;
    let files = std::env::temp_dir().join(format!("rectify-demo-ledger-{}", std::process::id()));
    app::demo::ensure_demo_city(&db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    app::demo::ensure_demo_ledger(&db, &files)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // A second start adds nothing.
    app::demo::ensure_demo_ledger(&db, &files)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let central = app::auth::service::load_session_user(
        &db,
        &db.query("SELECT VALUE id FROM user WHERE username = 'central'")
            .await
            .and_then(|mut r| r.take::<Option<surrealdb::types::RecordId>>(0))
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no central account")),
    )
    .await
    .ok()
    .flatten()
    .unwrap_or_else(|| panic!("central unreadable"));
    let now = chrono::Utc::now();
    let count = |f: ItemFilter| {
        let (db, central) = (db.clone(), central.clone());
        async move {
            app::ledger::service::list_items(&db, &central, &f, now)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .total
        }
    };
    assert_eq!(count(ItemFilter::default()).await, 126);
    let closed = count(ItemFilter {
        status: "closed".into(),
        ..ItemFilter::default()
    })
    .await;
    assert_eq!(closed, 96);
    let rows: Vec<bool> = db
        .query("SELECT VALUE closed_on_time FROM item WHERE status = 'closed'")
        .await
        .and_then(|mut r| r.take(0))
        .unwrap_or_default();
    assert_eq!(rows.iter().filter(|on_time| **on_time).count(), 88);
    assert!(
        count(ItemFilter {
            status: "digesting".into(),
            ..ItemFilter::default()
        })
        .await
            > 0
    );
    assert!(
        count(ItemFilter {
            overdue: "1".into(),
            ..ItemFilter::default()
        })
        .await
            > 0
    );
    let report = app::ledger::service::verify_ledger(&db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.first_break, None);

    // The dashboard reproduces the seed: 126 found, 88 closed on time, the leftovers
    // concentrated in two districts...
    let d = app::stats::service::dashboard(&db, &central, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.totals.found, 126);
    assert_eq!(d.totals.closed_on_time, 88);
    assert_eq!(d.totals.open, 30);
    assert!(d.concentration.flagged);
    let mut top: Vec<&str> = d.concentration.shares[..2]
        .iter()
        .map(|s| s.label.as_str())
        .collect();
    top.sort();
    assert_eq!(top, ["兴化市", "泰兴市"]);
    // Per district (stable figures; overdue depends on the day): 兴化市 17 found, 9
    // closed (8 on time), 8 open; 泰兴市 23 found, 8 closed, 15 open.
    let row = |name: &str| {
        d.splits[0]
            .rows
            .iter()
            .find(|r| r.label == name)
            .map(|r| r.figures)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let xh = row("兴化市");
    assert_eq!(
        (xh.found, xh.closed, xh.closed_on_time, xh.open),
        (17, 9, 8, 8)
    );
    let tx = row("泰兴市");
    assert_eq!(
        (tx.found, tx.closed, tx.closed_on_time, tx.open),
        (23, 8, 8, 15)
    );
    // ...and every figure's link opens exactly its items in the ledger.
    let mut links: Vec<(String, i64)> = Vec::new();
    for which in ["found", "closed", "on_time", "open", "overdue", "due_week"] {
        let value = |f: &app::stats::Figures| match which {
            "found" => f.found,
            "closed" => f.closed,
            "on_time" => f.closed_on_time,
            "open" => f.open,
            "overdue" => f.overdue,
            _ => f.due_this_week,
        };
        links.push((
            app::stats::page::ledger_href(&d, None, which),
            value(&d.totals),
        ));
        for split in &d.splits {
            for row in split.rows.iter().take(3) {
                let href =
                    app::stats::page::ledger_href(&d, Some((&split.dimension, &row.key)), which);
                links.push((href, value(&row.figures)));
            }
        }
    }
    for (href, expected) in links {
        let query = href
            .strip_prefix("/ledger?")
            .unwrap_or_else(|| panic!("{href}"));
        let pairs: serde_json::Map<String, serde_json::Value> =
            form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
                .collect();
        let filter: ItemFilter = serde_json::from_value(serde_json::Value::Object(pairs))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(count(filter).await, expected, "{href}");
    }
}
