//! The dashboard from the database (server only): the facts of the items in the caller's
//! scope, the figures computed by `figures`, and snapshots frozen as they were.

use super::facts::{self, Interner};
use super::figures;
use super::{Dashboard, DashboardView, Figures, SnapshotInfo, Split, SplitRow, UNIT_ROWS};
use crate::AppError;
use crate::auth::{Role, Scope, SessionUser};
use crate::db::{Db, key_of, record};
use crate::i18n::Locale;
use crate::ledger::calendar::{format_date, local_stamp, today};
use crate::ledger::lifecycle::Nature;
use chrono::{DateTime, Datelike, Duration, Utc};
use std::collections::HashMap;
use surrealdb::types::{RecordId, SurrealValue};

/// Months of the trend.
pub const TREND_MONTHS: u32 = 12;

/// Who sees the dashboard: the central office and the business division the city's,
/// a district office its district's.
fn district_scope(user: &SessionUser) -> Result<Option<String>, AppError> {
    match (&user.role, &user.scope) {
        (Role::CentralOffice | Role::BusinessDivision, _) => Ok(None),
        (Role::DistrictOffice, Scope::District { id, .. }) => Ok(Some(id.clone())),
        _ => Err(AppError::Forbidden),
    }
}

fn nature_names(code: &str) -> (String, String) {
    match Nature::parse(code) {
        Some(n) => (
            crate::ui::labels::nature_label(Locale::zh, n),
            crate::ui::labels::nature_label(Locale::en, n),
        ),
        None => (code.to_string(), code.to_string()),
    }
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Named {
    id: RecordId,
    name: String,
    name_en: Option<String>,
}

/// The names of records by key: (name, English name, falling back to the name).
async fn names_of(
    db: &Db,
    table: &str,
    keys: impl Iterator<Item = String>,
) -> Result<HashMap<String, (String, String)>, AppError> {
    let ids: Vec<RecordId> = keys.map(|k| record(table, &k)).collect();
    let field = if table == "district" {
        "name_en"
    } else {
        "NONE"
    };
    let rows: Vec<Named> = db
        .query(format!("SELECT id, name, {field} AS name_en FROM $ids"))
        .bind(("ids", ids))
        .await?
        .check()?
        .take(0)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let en = r
                .name_en
                .filter(|s| !s.is_empty())
                .unwrap_or(r.name.clone());
            (key_of(&r.id), (r.name, en))
        })
        .collect())
}

/// The dashboard of the caller's scope on `now`'s day, with the units that found most
/// (the page and the snapshots).
pub async fn dashboard(
    db: &Db,
    user: &SessionUser,
    now: DateTime<Utc>,
) -> Result<Dashboard, AppError> {
    compute(db, user, now, Some(UNIT_ROWS)).await
}

/// [`dashboard`] with every unit (the Excel export).
pub async fn dashboard_with_every_unit(
    db: &Db,
    user: &SessionUser,
    now: DateTime<Utc>,
) -> Result<Dashboard, AppError> {
    compute(db, user, now, None).await
}

async fn compute(
    db: &Db,
    user: &SessionUser,
    now: DateTime<Utc>,
    unit_rows: Option<usize>,
) -> Result<Dashboard, AppError> {
    let district = district_scope(user)?;
    let by_code = |entries: Vec<crate::ledger::ListEntry>| {
        entries
            .into_iter()
            .map(|e| (e.code, (e.name, e.name_en)))
            .collect::<HashMap<_, _>>()
    };
    let categories = by_code(crate::ledger::service::list_entries(db, "category").await?);
    let sources = by_code(crate::ledger::service::list_entries(db, "source").await?);
    let mut store = facts::current(db).await?;
    let day = today(now);
    let (monday, sunday) = figures::week_of(day);
    // The city's tally is kept up to date in the store; a district's is counted from its
    // items (a tenth of a million at most).
    let counted;
    let tally = match district.as_ref().map(|d| store.districts.get(d)) {
        None => {
            store.count_city(day, TREND_MONTHS);
            store
                .city()
                .ok_or_else(|| AppError::internal("the city's tally is missing"))?
        }
        Some(number) => {
            let facts = store.facts.iter().filter(|f| number == Some(f.district));
            counted = figures::tally(facts, day, TREND_MONTHS);
            &counted
        }
    };
    let figures::Tally {
        totals,
        by_district,
        by_unit,
        by_category,
        by_source,
        by_nature,
        ..
    } = tally;
    let trend = tally.trend();
    let present = |groups: &[Figures], names: &Interner| -> Vec<String> {
        groups
            .iter()
            .enumerate()
            .filter(|(_, f)| f.found > 0)
            .map(|(g, _)| names.name(g as u32).to_string())
            .collect()
    };
    let district_names = names_of(
        db,
        "district",
        present(by_district, &store.districts).into_iter(),
    )
    .await?;
    let by_district = figures::split(by_district, "district", None, |g| {
        let key = store.districts.name(g).to_string();
        let (zh, en) = district_names
            .get(&key)
            .cloned()
            .unwrap_or((key.clone(), key.clone()));
        (key, zh, en)
    });
    // Rank the units first, then name only those shown.
    let ranked = figures::split_by(
        by_unit,
        "unit",
        unit_rows,
        |g| store.units.name(g),
        |g| {
            let key = store.units.name(g).to_string();
            (key.clone(), key.clone(), key)
        },
    );
    let unit_names = names_of(db, "unit", ranked.rows.iter().map(|r| r.key.clone())).await?;
    let by_unit = Split {
        rows: ranked
            .rows
            .into_iter()
            .map(|r| {
                let name = unit_names
                    .get(&r.key)
                    .map(|n| n.0.clone())
                    .unwrap_or(r.label);
                SplitRow {
                    label: name.clone(),
                    label_en: name,
                    ..r
                }
            })
            .collect(),
        ..ranked
    };
    let listed = |names: &Interner, list: &HashMap<String, (String, String)>, g: u32| {
        let code = names.name(g).to_string();
        let (zh, en) = list
            .get(&code)
            .cloned()
            .unwrap_or((code.clone(), code.clone()));
        (code, zh, en)
    };
    let by_category = figures::split(by_category, "category", None, |g| {
        listed(&store.categories, &categories, g)
    });
    let by_source = figures::split(by_source, "source", None, |g| {
        listed(&store.sources, &sources, g)
    });
    let by_nature = figures::split(by_nature, "nature", None, |g| {
        let code = store.natures.name(g).to_string();
        let (zh, en) = nature_names(&code);
        (code, zh, en)
    });
    let scope_name = match &user.scope {
        Scope::District { name, .. } if district.is_some() => name.clone(),
        _ => String::new(),
    };
    Ok(Dashboard {
        scope_name,
        today: format_date(day),
        week_from: format_date(monday),
        week_to: format_date(sunday),
        totals: *totals,
        concentration: figures::concentration(&by_district),
        trend,
        splits: vec![by_district, by_unit, by_category, by_source, by_nature],
    })
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct SnapshotRow {
    id: RecordId,
    label: String,
    monthly: bool,
    taken_at: DateTime<Utc>,
}

impl SnapshotRow {
    fn info(self) -> SnapshotInfo {
        SnapshotInfo {
            id: key_of(&self.id),
            label: self.label,
            monthly: self.monthly,
            taken_at: local_stamp(&self.taken_at.to_rfc3339()),
        }
    }
}

/// Freeze the city's dashboard as it is now. A monthly snapshot (`month` = `YYYY-MM`) is
/// taken once whatever happens; an on-demand one each time. Returns the snapshot's id.
pub async fn freeze(
    db: &Db,
    user: Option<&SessionUser>,
    month: Option<String>,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    if let Some(u) = user
        && u.role != Role::CentralOffice
    {
        return Err(AppError::Forbidden);
    }
    // The snapshot is the whole city's, whoever asks.
    let everyone = SessionUser {
        id: String::new(),
        username: String::new(),
        display_name: String::new(),
        role: Role::CentralOffice,
        scope: Scope::Everything,
    };
    let data =
        serde_json::to_string(&dashboard(db, &everyone, now).await?).map_err(AppError::internal)?;
    let (key, label, monthly) = match month {
        Some(m) => (format!("m{m}"), m, true),
        None => (
            format!("d{}", now.timestamp_millis()),
            local_stamp(&now.to_rfc3339()),
            false,
        ),
    };
    // A monthly snapshot that exists already is never replaced.
    db.query(
        "INSERT IGNORE INTO snapshot { id: type::record('snapshot', $key), label: $label,
            monthly: $monthly, taken_at: $now, data: $data }",
    )
    .bind(("key", key.clone()))
    .bind(("label", label))
    .bind(("monthly", monthly))
    .bind(("now", now))
    .bind(("data", data))
    .await?
    .check()?;
    Ok(key)
}

/// On the first days of a month, freeze the month before (once; the scheduler calls this
/// on every run).
pub async fn monthly_snapshot(db: &Db, now: DateTime<Utc>) -> Result<Option<String>, AppError> {
    let day = today(now);
    if day.day() > 3 {
        return Ok(None);
    }
    let last_month = day - Duration::days(i64::from(day.day()));
    let month = last_month.format("%Y-%m").to_string();
    let exists: Option<RecordId> = db
        .query("SELECT VALUE id FROM ONLY type::record('snapshot', $key)")
        .bind(("key", format!("m{month}")))
        .await?
        .take(0)?;
    if exists.is_some() {
        return Ok(None);
    }
    freeze(db, None, Some(month), now).await.map(Some)
}

/// The dashboard page: live (`snapshot` empty) or a snapshot, with the change since the
/// snapshot before.
pub async fn view(
    db: &Db,
    user: &SessionUser,
    snapshot: &str,
    now: DateTime<Utc>,
) -> Result<DashboardView, AppError> {
    let district = district_scope(user)?;
    let city = district.is_none();
    let snapshots: Vec<SnapshotInfo> = if city {
        let rows: Vec<SnapshotRow> = db
            .query("SELECT id, label, monthly, taken_at FROM snapshot ORDER BY taken_at DESC")
            .await?
            .check()?
            .take(0)?;
        rows.into_iter().map(SnapshotRow::info).collect()
    } else {
        Vec::new()
    };
    let frozen = |id: &str| {
        let id = id.to_string();
        async move {
            let data: Option<String> = db
                .query("SELECT VALUE data FROM ONLY type::record('snapshot', $key)")
                .bind(("key", id))
                .await?
                .take(0)?;
            let data = data.ok_or(AppError::NotFound)?;
            serde_json::from_str::<Dashboard>(&data).map_err(AppError::internal)
        }
    };
    let snapshot = snapshot.trim();
    let (dashboard, shown, before) = if snapshot.is_empty() || !city {
        (
            dashboard(db, user, now).await?,
            None,
            snapshots.first().cloned(),
        )
    } else {
        let position = snapshots
            .iter()
            .position(|s| s.id == snapshot)
            .ok_or(AppError::NotFound)?;
        (
            frozen(snapshot).await?,
            snapshots.get(position).cloned(),
            snapshots.get(position + 1).cloned(),
        )
    };
    let previous = match before {
        Some(info) => {
            let totals: Figures = frozen(&info.id).await?.totals;
            Some((info, totals))
        }
        None => None,
    };
    Ok(DashboardView {
        dashboard,
        snapshot: shown,
        previous,
        snapshots,
        may_freeze: user.role == Role::CentralOffice,
    })
}
