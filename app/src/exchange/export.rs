//! Excel out (server only). The ledger export pages through the filtered items in
//! ledger-number order and writes each batch straight to a worksheet in constant-memory
//! mode (rows go to a temporary file as they are written), so 100,000 rows take as
//! little memory as 1,000. The next batch is read while one is written, and a batch's
//! measures and progress are read for all its items at once. The statistics tables are
//! small and written in one go.

use super::COLUMNS;
use crate::AppError;
use crate::auth::SessionUser;
use crate::db::{Db, key_of, read_where_in};
use crate::i18n::Locale;
use crate::ledger::ItemFilter;
use crate::ledger::lifecycle::{Nature, Status};
use crate::stats::Dashboard;
use crate::ui::labels::{nature_label, status_label};
use chrono::{DateTime, Utc};
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use surrealdb::types::{RecordId, SurrealValue};

/// Items read from the database at a time.
pub const BATCH: usize = 1000;
/// Batches read at once.
const AHEAD: usize = 2;

fn xlsx_err(e: XlsxError) -> AppError {
    AppError::internal(format!("xlsx: {e}"))
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Row {
    id: RecordId,
    number: String,
    unit_name: String,
    district: RecordId,
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
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Named {
    id: RecordId,
    name: String,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct MeasureRow {
    item: RecordId,
    due: String,
    what: String,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct ProgressRow {
    item: RecordId,
    at: DateTime<Utc>,
    text: String,
}

/// One batch of rows, with each item's measures (by due date) and latest progress.
struct Batch {
    rows: Vec<Row>,
    measures: HashMap<String, Vec<String>>,
    progress: HashMap<String, (DateTime<Utc>, String)>,
    /// How long reading the items took, and then their measures and progress.
    items_read: Duration,
    related_read: Duration,
}

/// Reads one batch: `rows` selects the items, in order; then their measures and
/// progress, through each table's `item` index ([`read_where_in`]).
async fn fetch(
    db: Db,
    rows: String,
    binds: crate::ledger::service::Binds,
) -> Result<Batch, AppError> {
    let mut query = db.query(rows);
    for (k, v) in binds {
        query = query.bind((k, v));
    }
    let started = Instant::now();
    let rows: Vec<Row> = query.await?.check()?.take(0)?;
    let items_read = started.elapsed();
    let found: Vec<RecordId> = rows.iter().map(|r| r.id.clone()).collect();
    let mut read = read_where_in(
        &db,
        &found,
        &[
            "SELECT item, due, what FROM measure WHERE item IN $some",
            "SELECT item, at, text FROM progress WHERE item IN $some",
        ],
    )
    .await?;
    let measure_rows: Vec<MeasureRow> = read.take(0)?;
    let progress_rows: Vec<ProgressRow> = read.take(1)?;
    let related_read = started.elapsed() - items_read;
    let mut by_item: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for m in measure_rows {
        by_item
            .entry(key_of(&m.item))
            .or_default()
            .push((m.due, m.what));
    }
    let measures = by_item
        .into_iter()
        .map(|(item, mut list)| {
            list.sort_by(|a, b| a.0.cmp(&b.0));
            (item, list.into_iter().map(|(_, what)| what).collect())
        })
        .collect();
    let mut progress: HashMap<String, (DateTime<Utc>, String)> = HashMap::new();
    for p in progress_rows {
        let latest = progress
            .entry(key_of(&p.item))
            .or_insert((p.at, String::new()));
        if p.at >= latest.0 {
            *latest = (p.at, p.text);
        }
    }
    Ok(Batch {
        rows,
        measures,
        progress,
        items_read,
        related_read,
    })
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
const FIELDS: &str = "id, number, unit.name AS unit_name, district, category, nature, description, source, found_on, approved_deadline, head_name, status,
    closed_on, closed_on_time";

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
    // A city's districts, named once (not once per row).
    let districts: HashMap<String, String> = db
        .query("SELECT id, name FROM district")
        .await?
        .check()?
        .take::<Vec<Named>>(0)?
        .into_iter()
        .map(|d| (key_of(&d.id), d.name))
        .collect();
    let none = String::new();
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
        "SELECT {FIELDS} FROM item WHERE {condition} AND number > $after
            ORDER BY number LIMIT {BATCH}"
    );
    let ids = chosen.map(|(_, ids)| ids);
    // Batches by id are read two at a time (the database uses both cores while the
    // sheet is written); a scan reads the next batch from where the last one ended.
    let by_id = |range: std::ops::Range<usize>, ids: &[RecordId]| {
        let mut b = binds.clone();
        b.push(("ids", ids[range].to_vec().into_value()));
        tokio::spawn(fetch(db.clone(), by_ids.clone(), b))
    };
    let by_number = |after: String| {
        let mut b = binds.clone();
        b.push(("after", after.into_value()));
        tokio::spawn(fetch(db.clone(), by_scan.clone(), b))
    };
    let mut reading = std::collections::VecDeque::new();
    let mut next = 0;
    let ask = |reading: &mut std::collections::VecDeque<_>, next: &mut usize| {
        if let Some(ids) = &ids {
            while reading.len() < AHEAD && *next < ids.len() {
                let end = (*next + BATCH).min(ids.len());
                reading.push_back(by_id(*next..end, ids));
                *next = end;
            }
        }
    };
    match &ids {
        Some(_) => ask(&mut reading, &mut next),
        None => reading.push_back(by_number(String::new())),
    }
    let mut written: usize = 0;
    // Where the time goes (the debug log): waiting for batches, writing rows, saving;
    // and the batches' own reads (two at a time, so they add up to more than waited).
    let started = Instant::now();
    let (mut waited, mut items_ms, mut related_ms) = (Duration::ZERO, 0, 0);
    while let Some(batch) = reading.pop_front() {
        let asked = Instant::now();
        let Batch {
            rows,
            measures,
            progress,
            items_read,
            related_read,
        } = batch.await.map_err(AppError::internal)??;
        waited += asked.elapsed();
        items_ms += items_read.as_millis() as u64;
        related_ms += related_read.as_millis() as u64;
        // Ask for the next batches before writing this one.
        match (&ids, rows.last()) {
            (Some(_), _) => ask(&mut reading, &mut next),
            (None, Some(last)) if rows.len() == BATCH => {
                reading.push_back(by_number(last.number.clone()))
            }
            _ => {}
        }
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
            let key = key_of(&r.id);
            ws.write_number(line, 0, written as f64).map_err(xlsx_err)?;
            let cells: [&str; 15] = [
                &r.unit_name,
                districts.get(&key_of(&r.district)).unwrap_or(&none),
                categories.get(&r.category).unwrap_or(&r.category),
                &Nature::parse(&r.nature)
                    .map(|n| nature_label(Locale::zh, n))
                    .unwrap_or_else(|| r.nature.clone()),
                &r.description,
                sources.get(&r.source).unwrap_or(&r.source),
                &r.found_on,
                &r.approved_deadline,
                &r.head_name,
                &measures.get(&key).map(|m| m.join("；")).unwrap_or_default(),
                progress.get(&key).map(|p| p.1.as_str()).unwrap_or(""),
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
    }
    let path = dir.join(format!(
        "export-{}-{}.xlsx",
        std::process::id(),
        now.timestamp_nanos_opt().unwrap_or(0)
    ));
    let saving = Instant::now();
    workbook.save(&path).map_err(xlsx_err)?;
    tracing::debug!(
        rows = written,
        waited_ms = waited.as_millis() as u64,
        written_ms = (saving - started).saturating_sub(waited).as_millis() as u64,
        saved_ms = saving.elapsed().as_millis() as u64,
        items_ms,
        related_ms,
        "ledger exported"
    );
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
