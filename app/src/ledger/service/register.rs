//! Registering items (登记) and the editable lists of categories and sources.

use super::history::{Change, commit, commit_many};
use crate::AppError;
use crate::auth::rules::required_text;
use crate::auth::{Role, SessionUser};
use crate::db::{Db, key_of, record};
use crate::error::{Field, Problem};
use crate::ledger::calendar::{format_date, today};
use crate::ledger::lifecycle::Status;
use crate::ledger::rules::{ValidItem, valid_item};
use crate::ledger::{ListEntry, NewItem};
use chrono::{DateTime, Datelike, Utc};
use surrealdb::types::{RecordId, SurrealValue, Value};

/// The letters in every ledger number: `2026-TZ-0042`.
pub const CITY_CODE: &str = "TZ";

async fn code_exists(db: &Db, table: &str, code: &str) -> Result<bool, AppError> {
    let found: Option<RecordId> = db
        .query("SELECT VALUE id FROM type::table($table) WHERE code = $code LIMIT 1")
        .bind(("table", table.to_string()))
        .bind(("code", code.to_string()))
        .await?
        .check()?
        .take(0)?;
    Ok(found.is_some())
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct UnitDistrict {
    district: RecordId,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Earlier {
    id: RecordId,
    status: String,
}

/// The next ledger number of `year`. The counter only ever goes up, so a number is
/// never given twice, even when the registration that took it then fails.
async fn next_number(db: &Db, year: i32) -> Result<String, AppError> {
    let n: Option<i64> = db
        .query("UPSERT ONLY type::record('ledger_counter', $year) SET last = (last ?? 0) + 1 RETURN VALUE last")
        .bind(("year", i64::from(year)))
        .await?
        .check()?
        .take(0)?;
    let n = n.ok_or_else(|| AppError::internal("ledger counter not updated"))?;
    Ok(format!("{year}-{CITY_CODE}-{n:04}"))
}

/// Register a new item (登记). The central office and the business divisions register;
/// a recurrence (the central office only) names an earlier closed item.
pub async fn register_item(
    db: &Db,
    user: &SessionUser,
    input: &NewItem,
    now: DateTime<Utc>,
) -> Result<(String, String), AppError> {
    if !matches!(user.role, Role::CentralOffice | Role::BusinessDivision) {
        return Err(AppError::Forbidden);
    }
    let item: ValidItem = valid_item(input)?;
    let unit = record("unit", &item.unit);
    let district: Option<UnitDistrict> = db
        .query("SELECT district FROM ONLY $unit")
        .bind(("unit", unit.clone()))
        .await?
        .check()?
        .take(0)?;
    let district = district
        .ok_or(AppError::invalid(Field::Unit, Problem::Invalid))?
        .district;
    if !code_exists(db, "source", &item.source).await? {
        return Err(AppError::invalid(Field::Source, Problem::Invalid));
    }
    if !code_exists(db, "category", &item.category).await? {
        return Err(AppError::invalid(Field::Category, Problem::Invalid));
    }
    let recurrence_of = match &item.recurrence_of {
        None => None,
        Some(number) => {
            if user.role != Role::CentralOffice {
                return Err(AppError::Forbidden);
            }
            let earlier: Option<Earlier> = db
                .query("SELECT id, status FROM item WHERE number = $number LIMIT 1")
                .bind(("number", number.clone()))
                .await?
                .check()?
                .take(0)?;
            match earlier {
                Some(e) if e.status == Status::Closed.as_str() => Some(e.id),
                _ => return Err(AppError::invalid(Field::RecurrenceOf, Problem::Invalid)),
            }
        }
    };
    let number = next_number(db, today(now).year()).await?;
    let key = surrealdb_key();
    let id = record("item", &key);
    let deadline = format_date(item.deadline);
    let after = serde_json::json!({
        "number": number, "unit": item.unit, "status": "registered",
        "category": item.category, "source": item.source,
        "nature": item.nature.as_str(), "description": item.description,
        "deadline": deadline, "head_name": item.head_name,
        "quantity": item.quantity,
        "recurrence_of": recurrence_of.as_ref().map(key_of),
    });
    commit(
        db,
        user,
        now,
        Change {
            item: id.clone(),
            action: "register",
            before: serde_json::Value::Null,
            after,
        },
        "CREATE $id CONTENT {
            number: $number, unit: $unit, district: $district, source: $source,
            category: $category, nature: $nature, description: $description,
            legal_basis: $legal_basis, quantity_baseline: $quantity, quantity_remaining: $quantity,
            found_on: $found_on, found_in: $found_in, original_deadline: $deadline,
            approved_deadline: $deadline, supervising_office: $supervising_office,
            head_name: $head_name, handler_name: $handler_name, handler_phone: $handler_phone,
            status: 'registered', registered_by: $user, registered_role: $role,
            registered_at: $now, updated_at: $now, co_signers: [], acceptance_round: 0,
            shared_with: [], recurrence_of: $recurrence_of
        }",
        vec![
            ("id", id.clone().into_value()),
            ("number", number.clone().into_value()),
            ("unit", unit.into_value()),
            ("district", district.into_value()),
            ("source", item.source.into_value()),
            ("category", item.category.into_value()),
            ("nature", item.nature.as_str().into_value()),
            ("description", item.description.into_value()),
            ("legal_basis", item.legal_basis.into_value()),
            ("quantity", item.quantity.into_value()),
            ("found_on", format_date(item.found_on).into_value()),
            ("found_in", item.found_in.into_value()),
            ("deadline", deadline.into_value()),
            ("supervising_office", item.supervising_office.into_value()),
            ("head_name", item.head_name.into_value()),
            ("handler_name", item.handler_name.into_value()),
            ("handler_phone", item.handler_phone.into_value()),
            ("user", record("user", &user.id).into_value()),
            ("role", user.role.as_str().to_string().into_value()),
            ("now", now.into_value()),
            ("recurrence_of", recurrence_of.into_value()),
        ],
    )
    .await?;
    Ok((key, number))
}

/// A new item's record as an import writes it.
#[derive(SurrealValue, Clone)]
#[surreal(crate = "surrealdb::types")]
struct ImportedRow {
    id: RecordId,
    number: String,
    unit: RecordId,
    district: RecordId,
    source: String,
    category: String,
    nature: String,
    description: String,
    legal_basis: String,
    quantity: Option<i64>,
    found_on: String,
    found_in: String,
    deadline: String,
    supervising_office: String,
    head_name: String,
    handler_name: String,
    handler_phone: String,
}

/// Register many items at once (an imported sheet): every item is checked first, then
/// all are written with their history in one transaction, or none. Each item's event is
/// `import`, naming the file. Returns the new items' keys and numbers.
pub async fn register_many(
    db: &Db,
    user: &SessionUser,
    inputs: &[NewItem],
    file_name: &str,
    now: DateTime<Utc>,
) -> Result<Vec<(String, String)>, AppError> {
    if !matches!(user.role, Role::CentralOffice | Role::BusinessDivision) {
        return Err(AppError::Forbidden);
    }
    let prepared = prepare_items(
        db,
        inputs,
        now,
        "import",
        serde_json::json!({ "file": file_name }),
    )
    .await?;
    commit_many(
        db,
        user,
        now,
        &prepared.changes,
        CREATE_ITEMS,
        prepared.binds(user, now),
    )
    .await?;
    Ok(prepared.made)
}

/// New items checked and numbered, ready to be written by [`CREATE_ITEMS`] in the
/// caller's transaction (an import, an accepted look-back return, a verification).
pub(crate) struct PreparedItems {
    rows: Vec<ImportedRow>,
    pub changes: Vec<Change>,
    /// The new items' keys and ledger numbers.
    pub made: Vec<(String, String)>,
}

impl PreparedItems {
    /// The parameters [`CREATE_ITEMS`] uses: `$rows`, `$user`, `$role`, `$now`.
    pub fn binds(&self, user: &SessionUser, now: DateTime<Utc>) -> Vec<(&'static str, Value)> {
        vec![
            ("rows", self.rows.clone().into_value()),
            ("user", record("user", &user.id).into_value()),
            ("role", user.role.as_str().to_string().into_value()),
            ("now", now.into_value()),
        ]
    }
}

/// Check every new item, number it and describe its event (`action`, with `extra`'s
/// fields added to what the event records).
pub(crate) async fn prepare_items(
    db: &Db,
    inputs: &[NewItem],
    now: DateTime<Utc>,
    action: &'static str,
    extra: serde_json::Value,
) -> Result<PreparedItems, AppError> {
    let mut valid = Vec::with_capacity(inputs.len());
    for input in inputs {
        let item = valid_item(input)?;
        if item.recurrence_of.is_some() {
            return Err(AppError::invalid(Field::RecurrenceOf, Problem::Invalid));
        }
        valid.push(item);
    }
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct UnitRow {
        id: RecordId,
        district: RecordId,
    }
    // Only the units named (a province has a hundred thousand).
    let named: Vec<RecordId> = valid
        .iter()
        .map(|i| i.unit.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|k| record("unit", k))
        .collect();
    let units: Vec<UnitRow> = db
        .query("SELECT id, district FROM $named")
        .bind(("named", named))
        .await?
        .check()?
        .take(0)?;
    let districts: std::collections::HashMap<String, RecordId> = units
        .into_iter()
        .map(|u| (key_of(&u.id), u.district))
        .collect();
    let categories = list_entries(db, "category").await?;
    let sources = list_entries(db, "source").await?;
    let mut rows = Vec::with_capacity(valid.len());
    let mut changes = Vec::with_capacity(valid.len());
    let mut made = Vec::with_capacity(valid.len());
    for item in valid {
        let district = districts
            .get(&item.unit)
            .cloned()
            .ok_or(AppError::invalid(Field::Unit, Problem::Invalid))?;
        if !categories.iter().any(|c| c.code == item.category) {
            return Err(AppError::invalid(Field::Category, Problem::Invalid));
        }
        if !sources.iter().any(|c| c.code == item.source) {
            return Err(AppError::invalid(Field::Source, Problem::Invalid));
        }
        let number = next_number(db, today(now).year()).await?;
        let key = surrealdb_key();
        let id = record("item", &key);
        let deadline = format_date(item.deadline);
        let mut after = serde_json::json!({
            "number": number, "unit": item.unit, "status": "registered",
            "category": item.category, "source": item.source,
            "nature": item.nature.as_str(), "description": item.description,
            "deadline": deadline, "head_name": item.head_name,
            "quantity": item.quantity,
        });
        if let (Some(a), Some(e)) = (after.as_object_mut(), extra.as_object()) {
            a.extend(e.clone());
        }
        changes.push(Change {
            item: id.clone(),
            action,
            before: serde_json::Value::Null,
            after,
        });
        made.push((key, number.clone()));
        rows.push(ImportedRow {
            id,
            number,
            unit: record("unit", &item.unit),
            district,
            source: item.source,
            category: item.category,
            nature: item.nature.as_str().to_string(),
            description: item.description,
            legal_basis: item.legal_basis,
            quantity: item.quantity,
            found_on: format_date(item.found_on),
            found_in: item.found_in,
            deadline,
            supervising_office: item.supervising_office,
            head_name: item.head_name,
            handler_name: item.handler_name,
            handler_phone: item.handler_phone,
        });
    }
    Ok(PreparedItems {
        rows,
        changes,
        made,
    })
}

/// Writes the rows of [`PreparedItems`] (in the caller's transaction).
pub(crate) const CREATE_ITEMS: &str = "FOR $r IN $rows {
    CREATE $r.id CONTENT {
        number: $r.number, unit: $r.unit, district: $r.district, source: $r.source,
        category: $r.category, nature: $r.nature, description: $r.description,
        legal_basis: $r.legal_basis, quantity_baseline: $r.quantity,
        quantity_remaining: $r.quantity, found_on: $r.found_on, found_in: $r.found_in,
        original_deadline: $r.deadline, approved_deadline: $r.deadline,
        supervising_office: $r.supervising_office, head_name: $r.head_name,
        handler_name: $r.handler_name, handler_phone: $r.handler_phone,
        status: 'registered', registered_by: $user, registered_role: $role,
        registered_at: $now, updated_at: $now, co_signers: [], acceptance_round: 0,
        shared_with: [], recurrence_of: NONE
    };
}";

/// A random record key for a new item: ids in URLs reveal nothing about the ledger.
fn surrealdb_key() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rngs::OsRng;
    (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Add a category or a source (administrator or central office).
pub async fn add_list_entry(
    db: &Db,
    user: &SessionUser,
    table: &str,
    name: &str,
    name_en: &str,
) -> Result<(), AppError> {
    if !matches!(user.role, Role::Administrator | Role::CentralOffice) {
        return Err(AppError::Forbidden);
    }
    if !matches!(table, "category" | "source") {
        return Err(AppError::BadRequest);
    }
    let name = required_text(Field::Name, name, 40)?;
    let name_en = required_text(Field::Name, name_en, 80)?;
    let code = surrealdb_key();
    let taken: Option<RecordId> = db
        .query("SELECT VALUE id FROM type::table($table) WHERE name = $name LIMIT 1")
        .bind(("table", table.to_string()))
        .bind(("name", name.clone()))
        .await?
        .check()?
        .take(0)?;
    if taken.is_some() {
        return Err(AppError::invalid(Field::Name, Problem::Taken));
    }
    db.query(
        "CREATE type::table($table) SET code = $code, name = $name, name_en = $name_en,
            sort = (SELECT VALUE sort FROM type::table($table) ORDER BY sort DESC LIMIT 1)[0] + 1",
    )
    .bind(("table", table.to_string()))
    .bind(("code", code))
    .bind(("name", name))
    .bind(("name_en", name_en))
    .await?
    .check()?;
    Ok(())
}

/// Entries of a list, in their order.
pub(crate) async fn list_entries(db: &Db, table: &str) -> Result<Vec<ListEntry>, AppError> {
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Row {
        code: String,
        name: String,
        name_en: String,
    }
    let rows: Vec<Row> = db
        .query("SELECT code, name, name_en, sort FROM type::table($table) ORDER BY sort")
        .bind(("table", table.to_string()))
        .await?
        .check()?
        .take(0)?;
    Ok(rows
        .into_iter()
        .map(|r| ListEntry {
            code: r.code,
            name: r.name,
            name_en: r.name_en,
        })
        .collect())
}
