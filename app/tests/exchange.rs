//! Excel in and out against a fresh in-memory SurrealDB: export then import gives the
//! same items; a sheet written by another program (openpyxl) imports; each bad row is
//! named with its number and reason and nothing is imported; scope holds.
#![cfg(feature = "ssr")]

mod support;

use app::AppError;
use app::auth::SessionUser;
use app::db::Db;
use app::exchange::{COLUMNS, export, import};
use app::ledger::service as ledger;
use app::ledger::{ItemFilter, NewItem};
use app::org::service::{create_district, create_unit};
use calamine::{Data, Reader, open_workbook_auto_from_rs};
use support::*;
use surrealdb::types::SurrealValue;

struct Office {
    db: Db,
    central: SessionUser,
    head: SessionUser,
    other_head: SessionUser,
    district: SessionUser,
    admin: SessionUser,
    unit: String,
    dir: std::path::PathBuf,
}

async fn office() -> Office {
    let db = app::db::connect_in_memory()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let hl = ok(create_district(&db, "HL", "海陵区", "Hailing").await);
    let gg = ok(create_district(&db, "GG", "高港区", "Gaogang").await);
    let unit = ok(create_unit(&db, &hl, "海陵区教育局").await);
    let other = ok(create_unit(&db, &gg, "高港区民政局").await);
    let central = user(&db, "central", "central_office", "", "").await;
    let district = user(&db, "hailing", "district_office", &hl, "").await;
    let admin = user(&db, "admin", "administrator", "", "").await;
    let head = account(
        &db,
        app::admin::NewUser {
            username: "zhou".into(),
            display_name: "周志明".into(),
            phone: "13800000001".into(),
            role: "unit_head".into(),
            unit: unit.clone(),
            ..Default::default()
        },
    )
    .await;
    let other_head = user(&db, "other", "unit_head", "", &other).await;
    let dir = std::env::temp_dir().join(format!("rectify-exchange-{}", rand_suffix()));
    Office {
        db,
        central,
        head,
        other_head,
        district,
        admin,
        unit,
        dir,
    }
}

fn rand_suffix() -> String {
    use rand::Rng;
    rand::rngs::OsRng.gen_range(0..u64::MAX).to_string()
}

fn new_item(
    unit: &str,
    description: &str,
    category: &str,
    source: &str,
    found: &str,
    deadline: &str,
) -> NewItem {
    NewItem {
        unit: unit.into(),
        source: source.into(),
        category: category.into(),
        nature: "violation".into(),
        description: description.into(),
        found_on: found.into(),
        deadline: deadline.into(),
        head_name: "周志明".into(),
        ..NewItem::default()
    }
}

fn sheet(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut book = open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec()))
        .unwrap_or_else(|e| panic!("{e}"));
    let range = book
        .worksheet_range_at(0)
        .unwrap_or_else(|| panic!("no sheet"))
        .unwrap_or_else(|e| panic!("{e}"));
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    other => import::cell_text(other),
                })
                .collect()
        })
        .collect()
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Defining {
    unit: String,
    category: String,
    source: String,
    nature: String,
    description: String,
    found_on: String,
    deadline: String,
    head: String,
}

async fn defining(db: &Db, numbers: &[String]) -> Vec<Defining> {
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Row {
        unit: String,
        category: String,
        source: String,
        nature: String,
        description: String,
        found_on: String,
        original_deadline: String,
        head_name: String,
    }
    let rows: Vec<Row> = db
        .query("SELECT unit.name AS unit, category, source, nature, description, found_on, original_deadline, head_name FROM item WHERE number IN $numbers")
        .bind(("numbers", numbers.to_vec()))
        .await
        .and_then(|mut r| r.take(0))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out: Vec<Defining> = rows
        .into_iter()
        .map(|r| Defining {
            unit: r.unit,
            category: r.category,
            source: r.source,
            nature: r.nature,
            description: r.description,
            found_on: r.found_on,
            deadline: r.original_deadline,
            head: r.head_name,
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn export_then_import_gives_the_same_items() {
    let o = office().await;
    let mut originals = Vec::new();
    for (d, c, s, f, dl) in [
        (
            "超编进人 2 名",
            "over_establishment",
            "inspection_tour",
            "2026-05-12",
            "2026-12-31",
        ),
        (
            "自行设置“总监”职务",
            "invented_titles",
            "staffing_check",
            "2026-05-20",
            "2027-03-31",
        ),
        (
            "违规编外用工 5 人, 含 \"临时工\"",
            "irregular_hiring",
            "inspection_tour",
            "2026-06-01",
            "2026-09-30",
        ),
    ] {
        let (_, number) = ok(ledger::register_item(
            &o.db,
            &o.central,
            &new_item(&o.unit, d, c, s, f, dl),
            at("2026-06-02"),
        )
        .await);
        originals.push(number);
    }
    let (path, count) = ok(export::export_ledger(
        &o.db,
        &o.central,
        &ItemFilter::default(),
        at("2026-06-02"),
        &o.dir,
    )
    .await);
    assert_eq!(count, 3);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
    let rows = sheet(&bytes);
    assert_eq!(rows[0], COLUMNS.map(String::from).to_vec());
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1][1], "海陵区教育局");
    assert_eq!(rows[1][2], "海陵区");
    assert_eq!(rows[1][12], "登记");
    // Back in: a preview without problems, then all three registered anew.
    let batch =
        ok(import::upload(&o.db, &o.central, "问题台账.xlsx", &bytes, at("2026-06-03")).await);
    let preview = ok(import::preview(&o.db, &o.central, &batch).await);
    assert!(preview.problems.is_empty(), "{:?}", preview.problems);
    assert_eq!(preview.rows.len(), 3);
    let numbers = ok(import::confirm(&o.db, &o.central, &batch, at("2026-06-03")).await);
    assert_eq!(numbers.len(), 3);
    assert!(numbers.iter().all(|n| !originals.contains(n)));
    assert_eq!(
        defining(&o.db, &numbers).await,
        defining(&o.db, &originals).await
    );
    // Confirming twice imports once; the history records each import and still verifies.
    assert_eq!(
        ok(import::confirm(&o.db, &o.central, &batch, at("2026-06-03")).await),
        numbers
    );
    let imports: Option<i64> =
        o.db.query("RETURN count((SELECT VALUE id FROM event WHERE action = 'import'))")
            .await
            .and_then(|mut r| r.take(0))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(imports, Some(3));
    assert_eq!(ok(ledger::verify_ledger(&o.db).await).first_break, None);
    let _ = std::fs::remove_dir_all(&o.dir);
}

#[tokio::test]
async fn a_sheet_written_by_another_program_imports() {
    let o = office().await;
    let bytes = include_bytes!("fixtures/ledger-openpyxl.xlsx");
    let batch = ok(import::upload(
        &o.db,
        &o.central,
        "ledger-openpyxl.xlsx",
        bytes,
        at("2026-06-03"),
    )
    .await);
    let preview = ok(import::preview(&o.db, &o.central, &batch).await);
    assert!(preview.problems.is_empty(), "{:?}", preview.problems);
    let got: Vec<(usize, &str, &str, &str)> = preview
        .rows
        .iter()
        .map(|r| {
            (
                r.row,
                r.found_on.as_str(),
                r.deadline.as_str(),
                r.owner.as_str(),
            )
        })
        .collect();
    // Row 1 is the title, row 2 the headers, row 4 blank.
    assert_eq!(
        got,
        [
            (3, "2026-05-12", "2026-12-31", "周志明"),
            (5, "2026-05-20", "2027-03-31", "周志明")
        ]
    );
    assert_eq!(
        ok(import::confirm(&o.db, &o.central, &batch, at("2026-06-03")).await).len(),
        2
    );
}

/// A confirmation sent twice at once (two taps, two tabs) registers the items once, and
/// both are told the same numbers.
#[tokio::test]
async fn an_import_confirmed_twice_at_once_registers_its_items_once() {
    let o = office().await;
    let bytes = include_bytes!("fixtures/ledger-openpyxl.xlsx");
    let now = at("2026-06-03");
    let batch = ok(import::upload(&o.db, &o.central, "ledger-openpyxl.xlsx", bytes, now).await);
    let count = || async {
        let n: Option<i64> =
            o.db.query("RETURN count(SELECT id FROM item)")
                .await
                .and_then(|mut r| r.take(0))
                .unwrap_or_else(|e| panic!("{e}"));
        n.unwrap_or(0)
    };
    let before = count().await;
    let (a, b) = tokio::join!(
        import::confirm(&o.db, &o.central, &batch, now),
        import::confirm(&o.db, &o.central, &batch, now)
    );
    let (a, b) = (ok(a), ok(b));
    assert_eq!(a.len(), 2);
    assert_eq!(a, b);
    assert_eq!(count().await - before, 2);
}

fn bad_sheet() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    // The headers the sheet needs: the first ten ledger columns.
    let mut header = [""; 10];
    header.copy_from_slice(&COLUMNS[..10]);
    let rows: [[&str; 10]; 5] = [
        header,
        [
            "1",
            "海陵区教育局",
            "海陵区",
            "超编进人",
            "违规问题",
            "超编进人 2 名",
            "巡察",
            "2026-05-12",
            "2026-12-31",
            "周志明",
        ],
        [
            "2",
            "海陵区卫健委",
            "海陵区",
            "超编进人",
            "违规问题",
            "超编",
            "巡察",
            "2026-05-12",
            "2026-12-31",
            "周志明",
        ],
        [
            "3",
            "海陵区教育局",
            "海陵区",
            "超编进人",
            "违规问题",
            "超编",
            "巡察",
            "去年五月",
            "2026-12-31",
            "周志明",
        ],
        [
            "4",
            "海陵区教育局",
            "海陵区",
            "超编进人",
            "违规问题",
            "",
            "巡察",
            "2026-05-12",
            "2026-12-31",
            "李四",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *text)
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    book.save_to_buffer().unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn each_bad_row_is_named_and_nothing_is_imported() {
    let o = office().await;
    let batch = ok(import::upload(
        &o.db,
        &o.central,
        "bad.xlsx",
        &bad_sheet(),
        at("2026-06-03"),
    )
    .await);
    let preview = ok(import::preview(&o.db, &o.central, &batch).await);
    let problems: Vec<(usize, &str, &str)> = preview
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str(), p.problem.as_str()))
        .collect();
    assert_eq!(
        problems,
        [
            (3, "单位", "unknown_unit"),
            (4, "发现时间", "bad_date"),
            (5, "问题描述", "missing"),
            (5, "第一责任人", "unknown_owner"),
        ]
    );
    // The good row alone is not imported: all or nothing.
    assert_eq!(
        import::confirm(&o.db, &o.central, &batch, at("2026-06-03")).await,
        Err(AppError::WrongState)
    );
    let items: Option<i64> =
        o.db.query("RETURN count((SELECT VALUE id FROM item))")
            .await
            .and_then(|mut r| r.take(0))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(items, Some(0));
    // Not a spreadsheet at all.
    let junk = ok(import::upload(&o.db, &o.central, "notes.txt", b"hello", at("2026-06-03")).await);
    let preview = ok(import::preview(&o.db, &o.central, &junk).await);
    assert_eq!(preview.problems[0].problem, "unreadable");
}

#[tokio::test]
async fn exports_and_imports_keep_to_the_callers_scope() {
    let o = office().await;
    ok(ledger::register_item(
        &o.db,
        &o.central,
        &new_item(
            &o.unit,
            "超编进人 2 名",
            "over_establishment",
            "inspection_tour",
            "2026-05-12",
            "2026-12-31",
        ),
        at("2026-06-02"),
    )
    .await);
    let filter = ItemFilter::default();
    let now = at("2026-06-02");
    assert_eq!(
        ok(export::export_ledger(&o.db, &o.head, &filter, now, &o.dir).await).1,
        1
    );
    assert_eq!(
        ok(export::export_ledger(&o.db, &o.district, &filter, now, &o.dir).await).1,
        1
    );
    assert_eq!(
        ok(export::export_ledger(&o.db, &o.other_head, &filter, now, &o.dir).await).1,
        0
    );
    assert!(
        export::export_ledger(&o.db, &o.admin, &filter, now, &o.dir)
            .await
            .is_err()
    );
    // Only those who register may import; a batch is its uploader's.
    assert_eq!(
        import::upload(&o.db, &o.district, "x.xlsx", &bad_sheet(), now).await,
        Err(AppError::Forbidden)
    );
    let batch = ok(import::upload(&o.db, &o.central, "x.xlsx", &bad_sheet(), now).await);
    let division = user(&o.db, "division", "business_division", "", "").await;
    assert_eq!(
        import::preview(&o.db, &division, &batch)
            .await
            .map(|p| p.batch),
        Err(AppError::NotFound)
    );
    let _ = std::fs::remove_dir_all(&o.dir);
}

#[tokio::test]
async fn a_large_export_goes_out_in_batches() {
    let o = office().await;
    let inputs: Vec<NewItem> = (0..2_345)
        .map(|i| {
            new_item(
                &o.unit,
                &format!("超编进人第 {i} 批"),
                "over_establishment",
                "inspection_tour",
                "2026-05-12",
                "2026-12-31",
            )
        })
        .collect();
    ok(ledger::register_many(&o.db, &o.central, &inputs, "generated", at("2026-06-02")).await);
    let (path, count) = ok(export::export_ledger(
        &o.db,
        &o.central,
        &ItemFilter::default(),
        at("2026-06-02"),
        &o.dir,
    )
    .await);
    assert_eq!(count, 2_345);
    let rows = sheet(&std::fs::read(&path).unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(rows.len(), 2_346);
    // Ledger-number order, every number once.
    let numbers: Vec<&String> = rows[1..].iter().map(|r| &r[15]).collect();
    let mut sorted = numbers.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(numbers, sorted);
    let _ = std::fs::remove_dir_all(&o.dir);
}
