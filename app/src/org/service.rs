//! Districts and units in the database. Server only.

use super::{District, OrgCounts, Unit};
use crate::AppError;
use crate::auth::rules::required_text;
use crate::db::{Db, key_of, record};
use crate::error::{Field, Problem};
use surrealdb::types::{RecordId, SurrealValue};

pub const CODE_MAX: u32 = 16;
pub const NAME_MAX: u32 = 40;

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct DistrictRow {
    id: RecordId,
    code: String,
    name: String,
    name_en: String,
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct UnitCount {
    district: RecordId,
    n: i64,
}

/// The districts with their units counted: the units read once, grouped (a count per
/// district through `$parent.id` read every unit once for every district).
pub async fn list_districts(db: &Db) -> Result<Vec<District>, AppError> {
    let mut response = db
        .query(
            "SELECT id, code, name, name_en, sort FROM district ORDER BY sort, code;
             SELECT district, count() AS n FROM unit GROUP BY district;",
        )
        .await?
        .check()?;
    let rows: Vec<DistrictRow> = response.take(0)?;
    let counts: std::collections::HashMap<String, i64> = response
        .take::<Vec<UnitCount>>(1)?
        .into_iter()
        .map(|c| (key_of(&c.district), c.n))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| District {
            unit_count: counts.get(&key_of(&r.id)).copied().unwrap_or(0),
            id: key_of(&r.id),
            code: r.code,
            name: r.name,
            name_en: r.name_en,
        })
        .collect())
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct UnitRow {
    id: RecordId,
    name: String,
    district: RecordId,
    district_name: String,
}

/// Units, all or one district's, ordered by district then name.
pub async fn list_units(db: &Db, district_id: Option<&str>) -> Result<Vec<Unit>, AppError> {
    let rows: Vec<UnitRow> = match district_id {
        Some(d) => db
            .query("SELECT id, name, district, district.name AS district_name, district.sort AS dsort FROM unit WHERE district = $district ORDER BY name")
            .bind(("district", record("district", d))),
        None => db.query("SELECT id, name, district, district.name AS district_name, district.sort AS dsort FROM unit ORDER BY dsort, name"),
    }
    .await?
    .check()?
    .take(0)?;
    Ok(rows
        .into_iter()
        .map(|r| Unit {
            id: key_of(&r.id),
            name: r.name,
            district_id: key_of(&r.district),
            district_name: r.district_name,
        })
        .collect())
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct CountRow {
    districts: i64,
    units: i64,
    users: i64,
}

pub async fn counts(db: &Db) -> Result<OrgCounts, AppError> {
    let row: Option<CountRow> = db
        .query(
            "RETURN {
                districts: count(SELECT id FROM district),
                units: count(SELECT id FROM unit),
                users: count(SELECT id FROM user)
            }",
        )
        .await?
        .check()?
        .take(0)?;
    Ok(row
        .map(|r| OrgCounts {
            districts: r.districts,
            units: r.units,
            users: r.users,
        })
        .unwrap_or_default())
}

pub async fn district_exists(db: &Db, id: &str) -> Result<bool, AppError> {
    Ok(crate::db::exists(db, &record("district", id)).await?)
}

pub async fn unit_exists(db: &Db, id: &str) -> Result<bool, AppError> {
    Ok(crate::db::exists(db, &record("unit", id)).await?)
}

/// Add a district. The code is unique; returns the new id.
pub async fn create_district(
    db: &Db,
    code: &str,
    name: &str,
    name_en: &str,
) -> Result<String, AppError> {
    let code = required_text(Field::Code, code, CODE_MAX)?.to_uppercase();
    if !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(AppError::invalid(Field::Code, Problem::Invalid));
    }
    let name = required_text(Field::Name, name, NAME_MAX)?;
    let name_en = crate::auth::rules::optional_text(Field::Name, name_en, NAME_MAX * 2)?
        .unwrap_or_else(|| name.clone());
    let taken: Option<RecordId> = db
        .query("SELECT VALUE id FROM district WHERE code = $code LIMIT 1")
        .bind(("code", code.clone()))
        .await?
        .check()?
        .take(0)?;
    if taken.is_some() {
        return Err(AppError::invalid(Field::Code, Problem::Taken));
    }
    let id: Option<RecordId> = db
        .query("CREATE ONLY district SET code = $code, name = $name, name_en = $name_en, sort = count(SELECT id FROM district), created_at = time::now() RETURN VALUE id")
        .bind(("code", code))
        .bind(("name", name))
        .bind(("name_en", name_en))
        .await?
        .check()?
        .take(0)?;
    id.map(|i| key_of(&i))
        .ok_or_else(|| AppError::internal("district not created"))
}

/// Add a unit to a district. Unit names are unique city-wide.
pub async fn create_unit(db: &Db, district_id: &str, name: &str) -> Result<String, AppError> {
    if district_id.trim().is_empty() {
        return Err(AppError::invalid(Field::District, Problem::Required));
    }
    if !district_exists(db, district_id).await? {
        return Err(AppError::invalid(Field::District, Problem::Invalid));
    }
    let name = required_text(Field::Name, name, NAME_MAX)?;
    let taken: Option<RecordId> = db
        .query("SELECT VALUE id FROM unit WHERE name = $name LIMIT 1")
        .bind(("name", name.clone()))
        .await?
        .check()?
        .take(0)?;
    if taken.is_some() {
        return Err(AppError::invalid(Field::Name, Problem::Taken));
    }
    let id: Option<RecordId> = db
        .query("CREATE ONLY unit SET name = $name, district = $district, created_at = time::now() RETURN VALUE id")
        .bind(("name", name))
        .bind(("district", record("district", district_id)))
        .await?
        .check()?
        .take(0)?;
    id.map(|i| key_of(&i))
        .ok_or_else(|| AppError::internal("unit not created"))
}
