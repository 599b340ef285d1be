//! The dashboard from the database (server only): the facts of the items in the caller's
//! scope, the figures computed by `figures`, and snapshots frozen as they were.

use super::figures::{self, Fact};
use super::{Dashboard, DashboardView, Figures, SnapshotInfo};
use crate::AppError;
use crate::auth::{Role, Scope, SessionUser};
use crate::db::{Db, key_of, record};
use crate::i18n::Locale;
use crate::ledger::calendar::{format_date, local_stamp, parse_date, today};
use crate::ledger::lifecycle::Nature;
use chrono::{DateTime, Datelike, Duration, Utc};
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

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Row {
    district: RecordId,
    district_name: String,
    district_name_en: String,
    unit: RecordId,
    unit_name: String,
    category: String,
    source: String,
    nature: String,
    status: String,
    found_on: String,
    approved_deadline: String,
    closed_on: Option<String>,
    closed_on_time: Option<bool>,
}

/// Labels of the list entries and natures, by code, in both languages.
struct Names {
    category: std::collections::HashMap<String, (String, String)>,
    source: std::collections::HashMap<String, (String, String)>,
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

/// The dashboard of the caller's scope on `now`'s day.
pub async fn dashboard(
    db: &Db,
    user: &SessionUser,
    now: DateTime<Utc>,
) -> Result<Dashboard, AppError> {
    let district = district_scope(user)?;
    let rows: Vec<Row> = db
        .query(
            "SELECT district, district.name AS district_name, district.name_en AS district_name_en,
                unit, unit.name AS unit_name, category, source, nature, status, found_on, approved_deadline, closed_on, closed_on_time
             FROM item WHERE $district = NONE OR district = $district",
        )
        .bind(("district", district.as_deref().map(|d| record("district", d))))
        .await?
        .check()?
        .take(0)?;
    let by_code = |entries: Vec<crate::ledger::ListEntry>| {
        entries
            .into_iter()
            .map(|e| (e.code, (e.name, e.name_en)))
            .collect::<std::collections::HashMap<_, _>>()
    };
    let names = Names {
        category: by_code(crate::ledger::service::list_entries(db, "category").await?),
        source: by_code(crate::ledger::service::list_entries(db, "source").await?),
    };
    let facts: Vec<Fact> = rows
        .into_iter()
        .map(|r| Fact {
            district: key_of(&r.district),
            district_name: format!("{}\u{1f}{}", r.district_name, r.district_name_en),
            unit: key_of(&r.unit),
            unit_name: r.unit_name,
            category: r.category,
            source: r.source,
            nature: r.nature,
            status: r.status,
            found_on: parse_date(&r.found_on),
            approved_deadline: parse_date(&r.approved_deadline),
            closed_on: r.closed_on.as_deref().and_then(parse_date),
            closed_on_time: r.closed_on_time,
        })
        .collect();
    let day = today(now);
    let (monday, sunday) = figures::week_of(day);
    let both = |pair: &str| -> (String, String) {
        let mut it = pair.split('\u{1f}');
        let zh = it.next().unwrap_or_default().to_string();
        let en = it
            .next()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .unwrap_or(zh.clone());
        (zh, en)
    };
    let by_district = figures::split(&facts, day, "district", |x| {
        let (zh, en) = both(&x.district_name);
        (x.district.clone(), zh, en)
    });
    let by_unit = figures::split(&facts, day, "unit", |x| {
        (x.unit.clone(), x.unit_name.clone(), x.unit_name.clone())
    });
    let by_category = figures::split(&facts, day, "category", |x| {
        let (zh, en) = names
            .category
            .get(&x.category)
            .cloned()
            .unwrap_or((x.category.clone(), x.category.clone()));
        (x.category.clone(), zh, en)
    });
    let by_source = figures::split(&facts, day, "source", |x| {
        let (zh, en) = names
            .source
            .get(&x.source)
            .cloned()
            .unwrap_or((x.source.clone(), x.source.clone()));
        (x.source.clone(), zh, en)
    });
    let by_nature = figures::split(&facts, day, "nature", |x| {
        let (zh, en) = nature_names(&x.nature);
        (x.nature.clone(), zh, en)
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
        totals: figures::figures(&facts, day),
        concentration: figures::concentration(&by_district),
        trend: figures::trend(&facts, day, TREND_MONTHS),
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
