//! Excel out (server only). The ledger export pages through the filtered items in
//! ledger-number order and writes each batch straight to a worksheet in constant-memory
//! mode (rows go to a temporary file as they are written), so 100,000 rows take as
//! little memory as 1,000. The statistics tables are small and written in one go.

use super::COLUMNS;
use crate::AppError;
use crate::auth::SessionUser;
use crate::db::Db;
use crate::i18n::Locale;
use crate::ledger::ItemFilter;
use crate::ledger::lifecycle::{Nature, Status};
use crate::stats::Dashboard;
use crate::ui::labels::{nature_label, status_label};
use chrono::{DateTime, Utc};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use surrealdb::types::{RecordId, SurrealValue};

/// Items read from the database at a time.
pub const BATCH: usize = 1000;

fn xlsx_err(e: XlsxError) -> AppError {
    AppError::internal(format!("xlsx: {e}"))
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Row {
    number: String,
    unit_name: String,
    district_name: String,
    category: String,
    nature: String,
    description: String,
    source: String,
    found_on: String,
    approved_deadline: String,
    head_name: String,
    status: String,
    closed_on: Option<String>,
    closed_on_time: Option<bool>,
    measures: Vec<String>,
    progress: Vec<String>,
}

fn header(ws: &mut Worksheet, names: &[&str]) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    for (c, name) in names.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *name, &bold)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

async fn names(db: &Db, table: &str) -> Result<HashMap<String, String>, AppError> {
    Ok(crate::ledger::service::list_entries(db, table)
        .await?
        .into_iter()
        .map(|e| (e.code, e.name))
        .collect())
}

/// What the export reads of each item.
const FIELDS: &str = "number, unit.name AS unit_name, district.name AS district_name, category,
    nature, description, source, found_on, approved_deadline, head_name, status, closed_on,
    closed_on_time,
    (SELECT due, what FROM measure WHERE item = $parent.id ORDER BY due).what AS measures,
    (SELECT at, text FROM progress WHERE item = $parent.id ORDER BY at DESC LIMIT 1).text AS progress";

/// Write the items `filter` selects in the caller's scope to a new .xlsx file in `dir`.
/// Returns the file and the number of items.
pub async fn export_ledger(
    db: &Db,
    user: &SessionUser,
    filter: &ItemFilter,
    now: DateTime<Utc>,
    dir: &Path,
) -> Result<(PathBuf, usize), AppError> {
    let (condition, binds) = crate::ledger::service::filter_clause(user, filter, now)?;
    let categories = names(db, "category").await?;
    let sources = names(db, "source").await?;
    std::fs::create_dir_all(dir).map_err(AppError::internal)?;
    let mut workbook = Workbook::new();
    workbook.set_tempdir(dir).map_err(xlsx_err)?;
    let ws = workbook.add_worksheet_with_constant_memory();
    ws.set_name("问题台账").map_err(xlsx_err)?;
    for (c, width) in [6, 24, 10, 20, 10, 48, 16, 12, 12, 12, 40, 40, 12, 12, 8, 14]
        .iter()
        .enumerate()
    {
        ws.set_column_width(c as u16, *width).map_err(xlsx_err)?;
    }
    header(ws, &COLUMNS).map_err(xlsx_err)?;
    // A province's ledger: the items chosen and put in order from the in-memory facts,
    // then read in batches by id, each batch checked against the whole filter again.
    let chosen = crate::ledger::service::index::ordered(
        db,
        user,
        filter,
        now,
        crate::ledger::service::index::Order::Number,
        0,
        None,
    )
    .await?;
    let by_ids = format!("SELECT {FIELDS} FROM $ids WHERE {condition} ORDER BY number");
    let by_scan = format!(
        "SELECT {FIELDS} FROM item WHERE {condition} AND number > $after ORDER BY number LIMIT {BATCH}"
    );
    let mut batches = chosen.map(|(_, ids)| ids);
    let mut next = 0;
    let mut after = String::new();
    let mut written: usize = 0;
    loop {
        let rows: Vec<Row> = match &mut batches {
            Some(ids) => {
                if next >= ids.len() {
                    break;
                }
                let batch: Vec<RecordId> = ids[next..(next + BATCH).min(ids.len())].to_vec();
                next += batch.len();
                let mut query = db.query(by_ids.as_str()).bind(("ids", batch));
                for (k, v) in &binds {
                    query = query.bind((*k, v.clone()));
                }
                query.await?.check()?.take(0)?
            }
            None => {
                let mut query = db.query(by_scan.as_str()).bind(("after", after.clone()));
                for (k, v) in &binds {
                    query = query.bind((*k, v.clone()));
                }
                query.await?.check()?.take(0)?
            }
        };
        for r in &rows {
            written += 1;
            let line = written as u32;
            let status = Status::parse(&r.status)
                .map(|s| status_label(Locale::zh, s))
                .unwrap_or_else(|| r.status.clone());
            let on_time = match (r.status.as_str(), r.closed_on_time) {
                ("closed", Some(true)) => "是",
                ("closed", Some(false)) => "否",
                _ => "",
            };
            ws.write_number(line, 0, written as f64).map_err(xlsx_err)?;
            let cells: [&str; 15] = [
                &r.unit_name,
                &r.district_name,
                categories.get(&r.category).unwrap_or(&r.category),
                &Nature::parse(&r.nature)
                    .map(|n| nature_label(Locale::zh, n))
                    .unwrap_or_else(|| r.nature.clone()),
                &r.description,
                sources.get(&r.source).unwrap_or(&r.source),
                &r.found_on,
                &r.approved_deadline,
                &r.head_name,
                &r.measures.join("；"),
                r.progress.first().map(String::as_str).unwrap_or(""),
                &status,
                r.closed_on.as_deref().unwrap_or(""),
                on_time,
                &r.number,
            ];
            for (c, text) in cells.iter().enumerate() {
                if !text.is_empty() {
                    ws.write_string(line, (c + 1) as u16, *text)
                        .map_err(xlsx_err)?;
                }
            }
        }
        if batches.is_some() {
            continue;
        }
        match rows.last() {
            Some(last) if rows.len() == BATCH => after = last.number.clone(),
            _ => break,
        }
    }
    let path = dir.join(format!(
        "export-{}-{}.xlsx",
        std::process::id(),
        now.timestamp_nanos_opt().unwrap_or(0)
    ));
    workbook.save(&path).map_err(xlsx_err)?;
    Ok((path, written))
}

/// The dashboard's tables as a workbook: totals, each split, the trend.
pub fn export_stats(d: &Dashboard) -> Result<Vec<u8>, AppError> {
    const FIGURES: [&str; 8] = [
        "",
        "发现问题",
        "已销号",
        "按期销号",
        "按期销号率",
        "未销号",
        "逾期",
        "本周到期",
    ];
    let rate = |f: &crate::stats::Figures| {
        f.on_time_permille()
            .map(crate::stats::page::percent)
            .unwrap_or_default()
    };
    let write_row = |ws: &mut Worksheet,
                     row: u32,
                     label: &str,
                     f: &crate::stats::Figures|
     -> Result<(), XlsxError> {
        ws.write_string(row, 0, label)?;
        for (c, v) in [f.found, f.closed, f.closed_on_time].iter().enumerate() {
            ws.write_number(row, (c + 1) as u16, *v as f64)?;
        }
        ws.write_string(row, 4, rate(f))?;
        for (c, v) in [f.open, f.overdue, f.due_this_week].iter().enumerate() {
            ws.write_number(row, (c + 5) as u16, *v as f64)?;
        }
        Ok(())
    };
    let build = || -> Result<Vec<u8>, XlsxError> {
        let mut workbook = Workbook::new();
        {
            let ws = workbook.add_worksheet();
            ws.set_name("总体")?;
            header(ws, &FIGURES)?;
            ws.set_column_width(0, 24)?;
            let label = if d.scope_name.is_empty() {
                "全市"
            } else {
                d.scope_name.as_str()
            };
            write_row(ws, 1, label, &d.totals)?;
        }
        for split in &d.splits {
            let title = match split.dimension.as_str() {
                "district" => "按地区",
                "unit" => "按单位",
                "category" => "按问题类型",
                "source" => "按发现来源",
                _ => "按问题性质",
            };
            let ws = workbook.add_worksheet();
            ws.set_name(title)?;
            header(ws, &FIGURES)?;
            ws.set_column_width(0, 28)?;
            for (i, r) in split.rows.iter().enumerate() {
                write_row(ws, (i + 1) as u32, &r.label, &r.figures)?;
            }
        }
        let ws = workbook.add_worksheet();
        ws.set_name("按月趋势")?;
        header(ws, &["月份", "发现问题", "已销号", "月末逾期"])?;
        for (i, p) in d.trend.iter().enumerate() {
            let row = (i + 1) as u32;
            ws.write_string(row, 0, &p.month)?;
            ws.write_number(row, 1, p.found as f64)?;
            ws.write_number(row, 2, p.closed as f64)?;
            ws.write_number(row, 3, p.overdue_at_end as f64)?;
        }
        workbook.save_to_buffer()
    };
    build().map_err(xlsx_err)
}
