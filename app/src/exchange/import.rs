//! Excel in (server only). A ledger sheet (xlsx, xls or ods, whoever wrote it) is read,
//! every row checked against the organisation, the lists and the ledger's rules, and kept
//! as a batch: the preview shows each row's problems with its row number; only a sheet
//! without problems can be confirmed, and then all its items are registered in one
//! transaction, or none.

pub use super::sheet::{
    Lookup, MAX_BYTES, MAX_ROWS, cell_text, check_rows, owner_parts, read_sheet, sheet_date,
};
use super::{ImportPreview, PreviewRow, RowProblem};
use crate::AppError;
use crate::auth::{Role, SessionUser};
use crate::db::{Db, key_of, record};
use crate::ledger::NewItem;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use surrealdb::types::{RecordId, SurrealValue};

async fn lookup(db: &Db) -> Result<Lookup, AppError> {
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct UnitRow {
        id: RecordId,
        name: String,
        district_name: String,
    }
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Person {
        unit: RecordId,
        display_name: String,
        phone: Option<String>,
    }
    let mut response = db
        .query(
            "SELECT id, name, district.name AS district_name FROM unit;
             SELECT scope_unit AS unit, display_name, phone FROM user WHERE scope_unit != NONE;",
        )
        .await?
        .check()?;
    let units: Vec<UnitRow> = response.take(0)?;
    let people: Vec<Person> = response.take(1)?;
    let mut l = Lookup::default();
    for u in units {
        l.units.insert(u.name, (key_of(&u.id), u.district_name));
    }
    for p in people {
        l.people
            .entry(key_of(&p.unit))
            .or_default()
            .push((p.display_name, p.phone.unwrap_or_default()));
    }
    for (table, map) in [("category", &mut l.categories), ("source", &mut l.sources)] {
        for e in crate::ledger::service::list_entries(db, table).await? {
            map.insert(e.name, e.code.clone());
            map.insert(e.name_en.to_lowercase(), e.code.clone());
            map.insert(e.code.clone(), e.code);
        }
    }
    for n in [
        crate::ledger::lifecycle::Nature::Violation,
        crate::ledger::lifecycle::Nature::PolicyCaused,
    ] {
        let code = n.as_str().to_string();
        l.natures.insert(
            crate::ui::labels::nature_label(crate::i18n::Locale::zh, n),
            code.clone(),
        );
        l.natures.insert(
            crate::ui::labels::nature_label(crate::i18n::Locale::en, n).to_lowercase(),
            code.clone(),
        );
        l.natures.insert(code.clone(), code);
    }
    // The words offices write in their own sheets.
    for (word, code) in [
        ("违规问题", "violation"),
        ("违规", "violation"),
        ("政策性问题", "policy_caused"),
        ("政策性", "policy_caused"),
        ("历史遗留问题", "policy_caused"),
    ] {
        l.natures.insert(word.to_string(), code.to_string());
    }
    Ok(l)
}

/// Sheets are imported by the central office and the business divisions.
pub fn may_import(user: &SessionUser) -> Result<(), AppError> {
    if matches!(user.role, Role::CentralOffice | Role::BusinessDivision) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// How long reading a sheet may take: a file made to be slow to unpack (a zip bomb)
/// gets "unreadable" rather than an answer that never comes.
pub const SHEET_READ_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

/// [`read_sheet`] on a thread of its own (unpacking and parsing are CPU work that would
/// hold up every request sharing the async worker), within [`SHEET_READ_LIMIT`].
async fn read_off_the_workers(bytes: &[u8]) -> Result<(Vec<Vec<String>>, usize), RowProblem> {
    let owned = bytes.to_vec();
    let reading = tokio::task::spawn_blocking(move || read_sheet(&owned));
    match tokio::time::timeout(SHEET_READ_LIMIT, reading).await {
        Ok(Ok(read)) => read,
        _ => Err(RowProblem {
            row: 0,
            column: String::new(),
            problem: "unreadable".into(),
            value: String::new(),
        }),
    }
}

/// Read and check an uploaded sheet and keep it as a batch for the preview.
pub async fn upload(
    db: &Db,
    user: &SessionUser,
    file_name: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    may_import(user)?;
    if bytes.len() > MAX_BYTES {
        return Err(AppError::invalid(
            crate::error::Field::Files,
            crate::error::Problem::FileTooLarge { max_mb: 10 },
        ));
    }
    let (items, problems) = match read_off_the_workers(bytes).await {
        Ok((grid, first_row)) if grid.len() > MAX_ROWS => (
            Vec::new(),
            vec![RowProblem {
                row: first_row + MAX_ROWS + 1,
                column: String::new(),
                problem: "too_many_rows".into(),
                value: MAX_ROWS.to_string(),
            }],
        ),
        Ok((grid, first_row)) => check_rows(&grid, first_row, &lookup(db).await?),
        Err(p) => (Vec::new(), vec![p]),
    };
    let rows: Vec<(usize, NewItem)> = items;
    let id: Option<RecordId> = db
        .query(
            "CREATE ONLY import_batch CONTENT { by: $me, file_name: $file, created_at: $now,
                rows: $rows, problems: $problems, imported: [] } RETURN VALUE id",
        )
        .bind(("me", record("user", &user.id)))
        .bind(("file", file_name.chars().take(120).collect::<String>()))
        .bind(("now", now))
        .bind((
            "rows",
            serde_json::to_string(&rows).map_err(AppError::internal)?,
        ))
        .bind((
            "problems",
            serde_json::to_string(&problems).map_err(AppError::internal)?,
        ))
        .await?
        .check()?
        .take(0)?;
    id.map(|i| key_of(&i))
        .ok_or_else(|| AppError::internal("import batch not stored"))
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Batch {
    by: RecordId,
    file_name: String,
    rows: String,
    problems: String,
    imported: Vec<String>,
}

async fn batch(db: &Db, user: &SessionUser, id: &str) -> Result<Batch, AppError> {
    may_import(user)?;
    let b: Option<Batch> = db
        .query("SELECT by, file_name, rows, problems, imported FROM ONLY $id")
        .bind(("id", record("import_batch", id.trim())))
        .await?
        .take(0)?;
    // Someone else's upload is not found.
    b.filter(|b| key_of(&b.by) == user.id)
        .ok_or(AppError::NotFound)
}

/// The preview of an uploaded batch.
pub async fn preview(db: &Db, user: &SessionUser, id: &str) -> Result<ImportPreview, AppError> {
    let b = batch(db, user, id).await?;
    let rows: Vec<(usize, NewItem)> = serde_json::from_str(&b.rows).map_err(AppError::internal)?;
    let problems: Vec<RowProblem> =
        serde_json::from_str(&b.problems).map_err(AppError::internal)?;
    let lookup = lookup(db).await?;
    let unit_names: HashMap<&String, &String> = lookup
        .units
        .iter()
        .map(|(name, (key, _))| (key, name))
        .collect();
    Ok(ImportPreview {
        batch: id.trim().to_string(),
        file_name: b.file_name,
        rows: rows
            .into_iter()
            .map(|(row, i)| PreviewRow {
                row,
                unit_name: unit_names
                    .get(&i.unit)
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                category: i.category,
                nature: i.nature,
                description: i.description,
                found_on: i.found_on,
                deadline: i.deadline,
                owner: i.head_name,
            })
            .collect(),
        problems,
        imported: b.imported,
    })
}

/// Register every item of a batch without problems, all or nothing, once: the batch
/// is marked imported in the transaction that registers its items, so a confirmation
/// sent twice at once registers them once, and both are told the same numbers.
pub async fn confirm(
    db: &Db,
    user: &SessionUser,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, AppError> {
    use crate::ledger::service::{CREATE_ITEMS, commit_many, prepare_items};
    let b = batch(db, user, id).await?;
    if !b.imported.is_empty() {
        return Ok(b.imported);
    }
    let problems: Vec<RowProblem> =
        serde_json::from_str(&b.problems).map_err(AppError::internal)?;
    let rows: Vec<(usize, NewItem)> = serde_json::from_str(&b.rows).map_err(AppError::internal)?;
    if !problems.is_empty() || rows.is_empty() {
        return Err(AppError::WrongState);
    }
    let inputs: Vec<NewItem> = rows.into_iter().map(|(_, i)| i).collect();
    let prepared = prepare_items(
        db,
        &inputs,
        now,
        "import",
        serde_json::json!({ "file": b.file_name }),
    )
    .await?;
    let numbers: Vec<String> = prepared.made.iter().map(|(_, n)| n.clone()).collect();
    let mut binds = prepared.binds(user, now);
    binds.push(("batch", record("import_batch", id.trim()).into_value()));
    binds.push(("numbers", numbers.clone().into_value()));
    let statements = format!(
        "IF array::len((SELECT VALUE imported FROM ONLY $batch) ?? []) > 0 {{
            THROW 'stale: the batch is imported already';
         }};
         {CREATE_ITEMS};
         UPDATE $batch SET imported = $numbers"
    );
    match commit_many(db, user, now, &prepared.changes, &statements, binds).await {
        Ok(()) => Ok(numbers),
        // The other confirmation committed first: its numbers are the batch's.
        Err(AppError::WrongState) => {
            let b = batch(db, user, id).await?;
            if b.imported.is_empty() {
                Err(AppError::WrongState)
            } else {
                Ok(b.imported)
            }
        }
        Err(e) => Err(e),
    }
}
