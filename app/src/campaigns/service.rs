//! Campaigns, returns and verifications in the database. Server only.
//!
//! Who may do what is decided here, on the server: the central office creates, opens,
//! closes and reviews, and sends people on site; a district office fills its district's
//! return, a unit (head or contact) its unit's; the verifier records the visit. Anything
//! outside the caller's reach is "not found".
//!
//! Submissions carry an id made on the device (a replay is answered from the first
//! receipt, nothing written twice) and the version they were based on (a submission on
//! an older version is kept and flagged for the reviewer, never applied over the newer).

use super::rules::{
    self, CampaignDraft, CampaignForm, CampaignKind, CampaignState, ReturnSpec, ReturnState, Sent,
    VerificationSpec, return_editable, return_reviewable, standing,
};
use super::{
    AttachedItem, CampaignLine, CampaignView, ConflictView, ItemCheck, Outcome, ProgressRow,
    ReturnContent, ReturnView, StoredFile, VerificationContent, VerificationLine, VerificationView,
};
use crate::AppError;
use crate::auth::{Role, Scope, SessionUser};
use crate::db::{Db, key_of, record};
use crate::error::{Field, InputProblem, Problem};
use crate::ledger::NewItem;
use crate::ledger::calendar::{format_date, parse_date, today};
use crate::ledger::evidence::MAX_FILE_BYTES;
use crate::ledger::incoming::Incoming;
use crate::ledger::service::{CREATE_ITEMS, Change, commit_many, list_categories, prepare_items};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use std::path::Path;
use surrealdb::types::{RecordId, SurrealValue, Value};

/// A file received with a form: the input it came from, the file (on disk while the
/// request is handled) and the time the phone said it was taken (milliseconds since
/// 1970, from `File.lastModified`).
#[derive(Debug)]
pub struct FormFile {
    pub input: String,
    pub file: Incoming,
    pub taken_ms: Option<i64>,
}

/// Files a return or verification may carry in all.
pub const MAX_FORM_FILES: usize = 24;

fn random_key() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rngs::OsRng;
    (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

fn valid_key(key: &str) -> Result<&str, AppError> {
    let key = key.trim();
    if key.is_empty() || key.len() > 64 || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::NotFound);
    }
    Ok(key)
}

/// A submission id made on a device: 8 to 64 letters, digits or dashes.
pub fn valid_client_id(id: &str) -> Result<&str, AppError> {
    let id = id.trim();
    if id.len() < 8 || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(AppError::BadRequest);
    }
    Ok(id)
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(AppError::internal)
}

fn from_json<T: serde::de::DeserializeOwned + Default>(s: &str) -> T {
    serde_json::from_str(s).unwrap_or_default()
}

/// Campaigns are started, closed and planned by the central office only.
pub fn require_central(user: &SessionUser) -> Result<(), AppError> {
    if user.role == Role::CentralOffice {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn reads_all(user: &SessionUser) -> bool {
    matches!(user.role, Role::CentralOffice | Role::BusinessDivision)
}

fn at_text(t: DateTime<Utc>) -> String {
    t.with_timezone(&crate::ledger::calendar::shanghai())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[derive(SurrealValue, Clone, Debug)]
#[surreal(crate = "surrealdb::types")]
struct CampaignRow {
    id: RecordId,
    name: String,
    kind: String,
    districts: Vec<RecordId>,
    units: Vec<RecordId>,
    unit_returns: bool,
    opens: String,
    closes: String,
    form: String,
    state: String,
    items: Vec<RecordId>,
    district_names: Vec<String>,
    unit_names: Vec<String>,
}

const CAMPAIGN_FIELDS: &str = "id, name, kind, districts, units, unit_returns, opens, closes,
    form, state, items, districts.name AS district_names, units.name AS unit_names";

impl CampaignRow {
    fn kind(&self) -> CampaignKind {
        CampaignKind::parse(&self.kind).unwrap_or(CampaignKind::LookBack)
    }
    fn state(&self) -> CampaignState {
        CampaignState::parse(&self.state).unwrap_or(CampaignState::Closed)
    }
    fn form(&self) -> CampaignForm {
        from_json(&self.form)
    }
    fn closes(&self) -> NaiveDate {
        parse_date(&self.closes).unwrap_or(NaiveDate::MIN)
    }
}

async fn load_campaign(db: &Db, id: &str) -> Result<CampaignRow, AppError> {
    let row: Option<CampaignRow> = db
        .query(format!("SELECT {CAMPAIGN_FIELDS} FROM ONLY $id"))
        .bind(("id", record("campaign", valid_key(id)?)))
        .await?
        .check()?
        .take(0)?;
    row.ok_or(AppError::NotFound)
}

#[derive(SurrealValue, Clone, Debug)]
#[surreal(crate = "surrealdb::types")]
struct ReturnRow {
    id: RecordId,
    campaign: RecordId,
    district: RecordId,
    unit: Option<RecordId>,
    state: String,
    version: i64,
    content: String,
    submitted_at: Option<DateTime<Utc>>,
    comments: Option<String>,
    registered: Vec<String>,
    place: String,
    conflicts: i64,
}

const RETURN_FIELDS: &str = "id, campaign, district, unit, state, version, content,
    submitted_at, comments, registered, (unit.name ?? district.name) AS place,
    count((SELECT id FROM return_conflict WHERE ret = $parent.id AND resolved = NONE))
        AS conflicts";

impl ReturnRow {
    fn state(&self) -> ReturnState {
        ReturnState::parse(&self.state).unwrap_or(ReturnState::Draft)
    }
    fn content(&self) -> ReturnContent {
        from_json(&self.content)
    }
    fn standing(&self, closes: NaiveDate, now: DateTime<Utc>) -> rules::Standing {
        standing(
            self.state(),
            self.submitted_at.map(today),
            closes,
            today(now),
        )
    }
}

/// Whether `user` fills this return: the district office of its district (a district
/// return), the unit's head or contact (a unit return).
fn fills(user: &SessionUser, r: &ReturnRow) -> bool {
    match (&user.role, &user.scope, &r.unit) {
        (Role::DistrictOffice, Scope::District { id, .. }, None) => *id == key_of(&r.district),
        (Role::UnitHead | Role::UnitHandler, Scope::Unit { id, .. }, Some(u)) => *id == key_of(u),
        _ => false,
    }
}

async fn load_return(db: &Db, user: &SessionUser, id: &str) -> Result<ReturnRow, AppError> {
    let row: Option<ReturnRow> = db
        .query(format!("SELECT {RETURN_FIELDS} FROM ONLY $id"))
        .bind(("id", record("campaign_return", valid_key(id)?)))
        .await?
        .check()?
        .take(0)?;
    let row = row.ok_or(AppError::NotFound)?;
    if reads_all(user) || fills(user, &row) {
        Ok(row)
    } else {
        Err(AppError::NotFound)
    }
}

/// The new-campaign form, read and stored as a draft campaign (central office).
pub async fn create_campaign(
    db: &Db,
    user: &SessionUser,
    draft: &CampaignDraft,
    districts: &[String],
    units: &[String],
    unit_returns: bool,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    require_central(user)?;
    let district_ids: Vec<RecordId> = districts
        .iter()
        .filter_map(|d| valid_key(d).ok())
        .map(|d| record("district", d))
        .collect();
    let unit_ids: Vec<RecordId> = units
        .iter()
        .filter_map(|u| valid_key(u).ok())
        .map(|u| record("unit", u))
        .collect();
    // Units named bring their districts into the scope; every id must exist.
    let mut response = db
        .query(
            "SELECT VALUE id FROM $districts;
             SELECT id, district FROM $units;",
        )
        .bind(("districts", district_ids.clone()))
        .bind(("units", unit_ids.clone()))
        .await?
        .check()?;
    let found_districts: Vec<RecordId> = response.take(0)?;
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct UnitRow {
        id: RecordId,
        district: RecordId,
    }
    let found_units: Vec<UnitRow> = response.take(1)?;
    if found_districts.len() != district_ids.len() {
        return Err(AppError::invalid(Field::District, Problem::Invalid));
    }
    if found_units.len() != unit_ids.len() {
        return Err(AppError::invalid(Field::Unit, Problem::Invalid));
    }
    let mut scope = found_districts;
    for u in &found_units {
        if !scope.contains(&u.district) {
            scope.push(u.district.clone());
        }
    }
    if scope.is_empty() {
        return Err(AppError::Form(vec![InputProblem::new(
            "districts",
            Problem::Required,
        )]));
    }
    let key = random_key();
    db.query(
        "CREATE $id CONTENT {
            name: $name, kind: $kind, districts: $districts, units: $units,
            unit_returns: $unit_returns, opens: $opens, closes: $closes, form: $form,
            state: 'draft', items: [], created_by: $by, created_at: $now
        }",
    )
    .bind(("id", record("campaign", &key)))
    .bind(("name", draft.name.clone()))
    .bind(("kind", draft.kind.as_str().to_string()))
    .bind(("districts", scope))
    .bind((
        "units",
        found_units.into_iter().map(|u| u.id).collect::<Vec<_>>(),
    ))
    .bind(("unit_returns", unit_returns))
    .bind(("opens", format_date(draft.opens)))
    .bind(("closes", format_date(draft.closes)))
    .bind(("form", to_json(&draft.form)?))
    .bind(("by", record("user", &user.id)))
    .bind(("now", now))
    .await?
    .check()?;
    Ok(key)
}

/// Open a campaign: the open items in scope are attached, and every district office (and
/// unit, where the scope says so) gets its return. All in one transaction.
pub async fn open_campaign(
    db: &Db,
    user: &SessionUser,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    require_central(user)?;
    let c = load_campaign(db, id).await?;
    if c.state() != CampaignState::Draft {
        return Err(AppError::WrongState);
    }
    let mut response = db
        .query(
            "BEGIN TRANSACTION;
             LET $items = (SELECT VALUE id FROM item
                WHERE status NOT IN ['closed', 'withdrawn'] AND district IN $districts
                AND (array::len($units) = 0 OR unit IN $units));
             LET $changed = (UPDATE $campaign SET state = 'open', opened_at = $now,
                items = $items WHERE state = 'draft' RETURN VALUE id);
             IF array::len($changed) = 0 { THROW 'stale' };
             FOR $d IN $districts {
                CREATE campaign_return CONTENT {
                    campaign: $campaign, district: $d, unit: NONE, state: 'draft',
                    version: 0, content: '{}', registered: []
                };
             };
             IF $unit_returns {
                LET $places = IF array::len($units) = 0 {
                    (SELECT id, district FROM unit WHERE district IN $districts)
                } ELSE {
                    (SELECT id, district FROM $units)
                };
                FOR $u IN $places {
                    CREATE campaign_return CONTENT {
                        campaign: $campaign, district: $u.district, unit: $u.id,
                        state: 'draft', version: 0, content: '{}', registered: []
                    };
                };
             };
             COMMIT TRANSACTION;",
        )
        .bind(("campaign", c.id.clone()))
        .bind(("districts", c.districts.clone()))
        .bind(("units", c.units.clone()))
        .bind(("unit_returns", c.unit_returns))
        .bind(("now", now))
        .await?;
    if let Some(text) = crate::db::errors_of(&mut response) {
        return Err(if text.contains("stale") {
            AppError::WrongState
        } else {
            AppError::internal(format!("opening campaign: {text}"))
        });
    }
    Ok(())
}

/// Close a campaign: no more submissions; returns not in are missing.
pub async fn close_campaign(
    db: &Db,
    user: &SessionUser,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    require_central(user)?;
    let c = load_campaign(db, id).await?;
    let changed: Vec<RecordId> = db
        .query("UPDATE $id SET state = 'closed', closed_at = $now WHERE state = 'open' RETURN VALUE id")
        .bind(("id", c.id))
        .bind(("now", now))
        .await?
        .check()?
        .take(0)?;
    if changed.is_empty() {
        return Err(AppError::WrongState);
    }
    Ok(())
}

/// The caller's returns in a campaign (district office, unit roles).
async fn own_returns(
    db: &Db,
    user: &SessionUser,
    campaign: &RecordId,
) -> Result<Vec<ReturnRow>, AppError> {
    let rows: Vec<ReturnRow> = db
        .query(format!(
            "SELECT {RETURN_FIELDS} FROM campaign_return WHERE campaign = $campaign"
        ))
        .bind(("campaign", campaign.clone()))
        .await?
        .check()?
        .take(0)?;
    Ok(if reads_all(user) {
        rows
    } else {
        rows.into_iter().filter(|r| fills(user, r)).collect()
    })
}

/// The campaigns the caller takes part in (all of them for the central office and the
/// business divisions; a district office or unit only those with a return of theirs).
pub async fn list_campaigns(
    db: &Db,
    user: &SessionUser,
    now: DateTime<Utc>,
) -> Result<Vec<CampaignLine>, AppError> {
    if user.role == Role::Administrator || user.role == Role::Partner {
        return Err(AppError::Forbidden);
    }
    let rows: Vec<CampaignRow> = db
        .query(format!(
            "SELECT {CAMPAIGN_FIELDS}, created_at FROM campaign ORDER BY created_at DESC"
        ))
        .await?
        .check()?
        .take(0)?;
    let mut out = Vec::new();
    for c in rows {
        let mine: Vec<(String, rules::Standing)> = if reads_all(user) {
            Vec::new()
        } else {
            own_returns(db, user, &c.id)
                .await?
                .iter()
                .map(|r| (key_of(&r.id), r.standing(c.closes(), now)))
                .collect()
        };
        if !reads_all(user) && mine.is_empty() {
            continue;
        }
        out.push(CampaignLine {
            id: key_of(&c.id),
            name: c.name.clone(),
            kind: c.kind(),
            state: c.state(),
            opens: c.opens.clone(),
            closes: c.closes.clone(),
            mine,
        });
    }
    Ok(out)
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct AttachedRow {
    id: RecordId,
    number: String,
    unit: RecordId,
    unit_name: String,
    district: RecordId,
    description: String,
    status: String,
    approved_deadline: String,
}

async fn attached_items(db: &Db, ids: &[RecordId]) -> Result<Vec<AttachedRow>, AppError> {
    Ok(db
        .query(
            "SELECT id, number, unit, unit.name AS unit_name, district, description, status,
                approved_deadline FROM $ids ORDER BY number",
        )
        .bind(("ids", ids.to_vec()))
        .await?
        .check()?
        .take(0)?)
}

fn attached(r: &AttachedRow) -> AttachedItem {
    AttachedItem {
        key: key_of(&r.id),
        number: r.number.clone(),
        unit: key_of(&r.unit),
        unit_name: r.unit_name.clone(),
        description: r.description.clone(),
        status: r.status.clone(),
        approved_deadline: r.approved_deadline.clone(),
    }
}

/// The items of a campaign that belong to a return: its district's, or its unit's.
fn items_of_return(all: &[AttachedRow], r: &ReturnRow) -> Vec<AttachedItem> {
    all.iter()
        .filter(|i| match &r.unit {
            Some(u) => i.unit == *u,
            None => i.district == r.district,
        })
        .map(attached)
        .collect()
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct VerificationRow {
    id: RecordId,
    campaign: Option<RecordId>,
    campaign_name: Option<String>,
    unit: RecordId,
    district: RecordId,
    unit_name: String,
    items: Vec<RecordId>,
    verifier: RecordId,
    verifier_name: String,
    planned_on: String,
    state: String,
    version: i64,
    content: String,
    registered: Vec<String>,
}

const VERIFICATION_FIELDS: &str = "id, campaign, campaign.name AS campaign_name, unit, district,
    unit.name AS unit_name, items, verifier, verifier.display_name AS verifier_name,
    planned_on, state, version, content, registered";

fn verification_line(v: &VerificationRow) -> VerificationLine {
    VerificationLine {
        id: key_of(&v.id),
        campaign_name: v.campaign_name.clone().unwrap_or_default(),
        unit_name: v.unit_name.clone(),
        verifier_name: v.verifier_name.clone(),
        planned_on: v.planned_on.clone(),
        recorded: v.state == "recorded",
        items: v.items.len(),
    }
}

/// The campaign page: its scope and form, the progress of every return the caller may
/// see, the answers summarised, the targets against what was reported.
pub async fn campaign_view(
    db: &Db,
    user: &SessionUser,
    id: &str,
    now: DateTime<Utc>,
) -> Result<CampaignView, AppError> {
    let c = load_campaign(db, id).await?;
    let returns = own_returns(db, user, &c.id).await?;
    if !reads_all(user) && returns.is_empty() {
        return Err(AppError::NotFound);
    }
    let form = c.form();
    let counted: Vec<ReturnContent> = returns
        .iter()
        .filter(|r| matches!(r.state(), ReturnState::Submitted | ReturnState::Accepted))
        .map(ReturnRow::content)
        .collect();
    let answer_maps: Vec<&std::collections::BTreeMap<String, String>> =
        counted.iter().map(|c| &c.answers.answers).collect();
    let summaries = rules::summarise(&form, &answer_maps);
    let targets = form
        .targets
        .iter()
        .map(|t| {
            let sum = counted
                .iter()
                .filter_map(|c| c.answers.figures.get(&t.id))
                .sum();
            (t.clone(), sum)
        })
        .collect();
    let progress = returns
        .iter()
        .map(|r| ProgressRow {
            return_id: key_of(&r.id),
            place: r.place.clone(),
            standing: r.standing(c.closes(), now),
            submitted_at: r.submitted_at.map(at_text),
            conflicts: r.conflicts,
        })
        .collect();
    let manage = user.role == Role::CentralOffice;
    let (items, verifications, verifiers) = if reads_all(user) {
        let items = attached_items(db, &c.items)
            .await?
            .iter()
            .map(attached)
            .collect();
        let v: Vec<VerificationRow> = db
            .query(format!(
                "SELECT {VERIFICATION_FIELDS} FROM verification WHERE campaign = $c ORDER BY planned_on"
            ))
            .bind(("c", c.id.clone()))
            .await?
            .check()?
            .take(0)?;
        #[derive(SurrealValue)]
        #[surreal(crate = "surrealdb::types")]
        struct Person {
            id: RecordId,
            display_name: String,
        }
        let people: Vec<Person> = db
            .query(
                "SELECT id, display_name FROM user
                    WHERE role = 'central_office' OR (role = 'district_office' AND scope_district IN $districts)
                    ORDER BY role, display_name",
            )
            .bind(("districts", c.districts.clone()))
            .await?
            .check()?
            .take(0)?;
        (
            items,
            v.iter().map(verification_line).collect(),
            people
                .into_iter()
                .map(|p| (key_of(&p.id), p.display_name))
                .collect(),
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    Ok(CampaignView {
        id: key_of(&c.id),
        name: c.name.clone(),
        kind: c.kind(),
        state: c.state(),
        opens: c.opens.clone(),
        closes: c.closes.clone(),
        districts: c.district_names.clone(),
        units: c.unit_names.clone(),
        unit_returns: c.unit_returns,
        form,
        items,
        progress,
        summaries,
        targets,
        verifications,
        verifiers,
        manage,
        today: format_date(today(now)),
    })
}

/// Units and categories a new problem may name: the units of the return's scope.
async fn choices(
    db: &Db,
    districts: &[RecordId],
    unit: Option<&RecordId>,
) -> Result<(Vec<(String, String)>, Vec<crate::ledger::ListEntry>), AppError> {
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct UnitName {
        id: RecordId,
        name: String,
    }
    let units: Vec<UnitName> = match unit {
        Some(u) => db
            .query("SELECT id, name FROM unit WHERE id = $u")
            .bind(("u", u.clone())),
        None => db
            .query("SELECT id, name FROM unit WHERE district IN $d ORDER BY name")
            .bind(("d", districts.to_vec())),
    }
    .await?
    .check()?
    .take(0)?;
    Ok((
        units.into_iter().map(|u| (key_of(&u.id), u.name)).collect(),
        list_categories(db).await?,
    ))
}

fn return_spec(
    items: &[AttachedItem],
    form: &CampaignForm,
    units: &[(String, String)],
    categories: &[crate::ledger::ListEntry],
    rows: usize,
    now: DateTime<Utc>,
) -> ReturnSpec {
    ReturnSpec {
        items: items.iter().map(|i| i.key.clone()).collect(),
        form: form.clone(),
        units: units.iter().map(|(k, _)| k.clone()).collect(),
        categories: categories.iter().map(|c| c.code.clone()).collect(),
        rows,
        today: format_date(today(now)),
    }
}

/// The return page.
pub async fn return_view(
    db: &Db,
    user: &SessionUser,
    id: &str,
    now: DateTime<Utc>,
) -> Result<ReturnView, AppError> {
    let r = load_return(db, user, id).await?;
    let c = load_campaign(db, &key_of(&r.campaign)).await?;
    let all = attached_items(db, &c.items).await?;
    let items = items_of_return(&all, &r);
    let (units, categories) =
        choices(db, std::slice::from_ref(&r.district), r.unit.as_ref()).await?;
    let form = c.form();
    let rows = rules::rows_shown(&r.content().answers.new_problems);
    let spec = return_spec(&items, &form, &units, &categories, rows, now);
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct ConflictRow {
        id: RecordId,
        by_name: String,
        at: DateTime<Utc>,
        base_version: i64,
        newest_version: i64,
        content: String,
    }
    let conflicts: Vec<ConflictRow> = if reads_all(user) || fills(user, &r) {
        db.query(
            "SELECT id, by_name, at, base_version, newest_version, content FROM return_conflict
                WHERE ret = $r AND resolved = NONE ORDER BY at",
        )
        .bind(("r", r.id.clone()))
        .await?
        .check()?
        .take(0)?
    } else {
        Vec::new()
    };
    Ok(ReturnView {
        id: key_of(&r.id),
        campaign_id: key_of(&c.id),
        campaign_name: c.name.clone(),
        kind: c.kind(),
        campaign_state: c.state(),
        place: r.place.clone(),
        state: r.state(),
        standing: r.standing(c.closes(), now),
        version: r.version,
        closes: c.closes.clone(),
        comments: r.comments.clone(),
        submitted_at: r.submitted_at.map(at_text),
        editable: fills(user, &r) && return_editable(c.state(), r.state()),
        reviewable: user.role == Role::CentralOffice && return_reviewable(r.state()),
        spec,
        items,
        content: r.content(),
        units,
        categories,
        conflicts: conflicts
            .into_iter()
            .map(|x| ConflictView {
                id: key_of(&x.id),
                by_name: x.by_name,
                at: at_text(x.at),
                base_version: x.base_version,
                newest_version: x.newest_version,
                content: from_json(&x.content),
            })
            .collect(),
        registered: r.registered.clone(),
    })
}

/// When a photo was taken: its EXIF DateTimeOriginal (Shanghai time) read from the
/// file's start, else what the phone said, else now.
fn taken_at(bytes: &[u8], taken_ms: Option<i64>, now: DateTime<Utc>) -> String {
    let exif = exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(bytes))
        .ok()
        .and_then(|e| {
            e.get_field(exif::Tag::DateTimeOriginal, exif::In::PRIMARY)
                .map(|f| f.display_value().to_string())
        })
        .and_then(|v| chrono::NaiveDateTime::parse_from_str(&v, "%Y-%m-%d %H:%M:%S").ok());
    if let Some(t) = exif {
        return t.format("%Y-%m-%d %H:%M").to_string();
    }
    taken_ms
        .and_then(DateTime::<Utc>::from_timestamp_millis)
        .filter(|t| *t <= now + chrono::Duration::minutes(5))
        .map(at_text)
        .unwrap_or_else(|| at_text(now))
}

/// Check and store the files of a form; only inputs the form has may carry files, and
/// only photos, PDF and Office files (judged from the content) up to 10 MB each.
async fn store_form_files(
    db: &Db,
    user: &SessionUser,
    files: &[FormFile],
    allowed: impl Fn(&str) -> bool,
    files_dir: &Path,
    now: DateTime<Utc>,
) -> Result<Vec<StoredFile>, AppError> {
    let files: Vec<&FormFile> = files.iter().filter(|f| !f.file.is_empty()).collect();
    if files.len() > MAX_FORM_FILES {
        return Err(AppError::invalid(Field::Files, Problem::Invalid));
    }
    let mut problems = Vec::new();
    let mut kinds = Vec::new();
    for f in &files {
        if !allowed(&f.input) {
            return Err(AppError::BadRequest);
        }
        if f.file.size > MAX_FILE_BYTES {
            problems.push(InputProblem::new(
                &f.input,
                Problem::FileTooLarge {
                    max_mb: (MAX_FILE_BYTES / (1024 * 1024)) as u32,
                },
            ));
            continue;
        }
        match f.file.kind() {
            Some(k) => kinds.push(k),
            None => problems.push(InputProblem::new(&f.input, Problem::FileType)),
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Form(problems));
    }
    let bytes = files.iter().map(|f| f.file.size).sum();
    if !crate::ledger::quota::take(db, &user.id, bytes, now).await? {
        let used_up = crate::ledger::quota::used_up();
        return Err(AppError::Form(
            files
                .iter()
                .map(|f| InputProblem::new(&f.input, used_up))
                .collect(),
        ));
    }
    let mut stored = Vec::new();
    for (f, kind) in files.iter().zip(kinds) {
        let sha256 = f.file.store(files_dir).await?;
        stored.push(StoredFile {
            input: f.input.clone(),
            sha256,
            kind: kind.as_str().to_string(),
            file_name: crate::ledger::evidence::clean_file_name(&f.file.file_name),
            size: f.file.size as i64,
            taken_at: taken_at(&f.file.head, f.taken_ms, now),
        });
    }
    Ok(stored)
}

/// Files kept from before, except for inputs that bring new ones.
fn merge_files(old: Vec<StoredFile>, new: Vec<StoredFile>) -> Vec<StoredFile> {
    let mut out: Vec<StoredFile> = old
        .into_iter()
        .filter(|o| !new.iter().any(|n| n.input == o.input))
        .collect();
    out.extend(new);
    out
}

#[derive(SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct Receipt {
    target: String,
    outcome: String,
}

/// The first receipt of a submission id, if it was seen before.
async fn receipt(db: &Db, client_id: &str, target: &str) -> Result<Option<Outcome>, AppError> {
    let found: Option<Receipt> = db
        .query("SELECT target, outcome FROM ONLY $id")
        .bind(("id", record("submission", client_id)))
        .await?
        .check()?
        .take(0)?;
    match found {
        None => Ok(None),
        Some(r) if r.target == target => Ok(Outcome::parse(&r.outcome)),
        // The same id for another form: not a replay, a mistake (or a guess).
        Some(_) => Err(AppError::BadRequest),
    }
}

/// Run a write that also records the receipt; if another copy of the same submission got
/// there first, answer with its outcome.
async fn write_once(
    db: &Db,
    sql: &str,
    binds: Vec<(&'static str, Value)>,
    client_id: &str,
    target: &str,
) -> Result<Option<Outcome>, AppError> {
    let mut q = db.query(format!(
        "BEGIN TRANSACTION; {sql};
         CREATE $receipt SET target = $target, outcome = $outcome, by = $by, at = $now;
         COMMIT TRANSACTION;"
    ));
    for (k, v) in binds {
        q = q.bind((k, v));
    }
    let mut response = q.await?;
    let Some(text) = crate::db::errors_of(&mut response) else {
        return Ok(None);
    };
    if let Some(o) = receipt(db, client_id, target).await? {
        return Ok(Some(o));
    }
    if text.contains("stale") {
        return Err(AppError::WrongState);
    }
    Err(AppError::internal(format!("submission: {text}")))
}

/// A return sent from a form or a device's queue: saved as a draft or submitted for
/// review. A replay of the same `client_id` changes nothing and gets the first answer;
/// a submission based on an older version than the stored one is kept for the reviewer.
#[allow(clippy::too_many_arguments)]
pub async fn submit_return(
    db: &Db,
    user: &SessionUser,
    id: &str,
    sent: &Sent,
    files: &[FormFile],
    client_id: &str,
    base_version: i64,
    submit: bool,
    files_dir: &Path,
    now: DateTime<Utc>,
) -> Result<Outcome, AppError> {
    let client_id = valid_client_id(client_id)?;
    let r = load_return(db, user, id).await?;
    let target = format!("campaign_return:{}", key_of(&r.id));
    if let Some(o) = receipt(db, client_id, &target).await? {
        return Ok(o);
    }
    if !fills(user, &r) {
        return Err(AppError::Forbidden);
    }
    let c = load_campaign(db, &key_of(&r.campaign)).await?;
    let all = attached_items(db, &c.items).await?;
    let items = items_of_return(&all, &r);
    let (units, categories) =
        choices(db, std::slice::from_ref(&r.district), r.unit.as_ref()).await?;
    let form = c.form();
    // Any row a form may have shown is read (a phone may hold an older page).
    let spec = return_spec(&items, &form, &units, &categories, rules::MAX_NEW_ROWS, now);
    let mut sent = sent.clone();
    // Files kept from an earlier send count as given.
    let old = r.content();
    sent.files.extend(old.files.iter().map(|f| f.input.clone()));
    sent.files.extend(
        files
            .iter()
            .filter(|f| !f.file.is_empty())
            .map(|f| f.input.clone()),
    );
    let answers = rules::read_return(&spec, &sent, submit).map_err(AppError::Form)?;
    let photo_inputs: Vec<String> = spec
        .items
        .iter()
        .map(|i| format!("evidence-{i}"))
        .chain(
            form.questions
                .iter()
                .filter(|q| q.kind == rules::QuestionKind::Photo)
                .map(|q| format!("answer-{}", q.id)),
        )
        .chain((0..spec.rows).map(|n| format!("new-{n}-photo")))
        .collect();
    // Every path is checked before any file is stored: a closed campaign or an accepted
    // return takes neither files nor parallel updates.
    let stale = r.version != base_version;
    let open = match stale {
        true => rules::parallel_update_kept(c.state(), r.state()),
        false => return_editable(c.state(), r.state()),
    };
    if !open {
        return Err(AppError::WrongState);
    }
    let stored = store_form_files(
        db,
        user,
        files,
        |i| photo_inputs.iter().any(|p| p == i),
        files_dir,
        now,
    )
    .await?;
    let mut binds: Vec<(&'static str, Value)> = vec![
        ("ret", r.id.clone().into_value()),
        ("receipt", record("submission", client_id).into_value()),
        ("target", target.clone().into_value()),
        ("by", record("user", &user.id).into_value()),
        ("by_name", user.display_name.clone().into_value()),
        ("now", now.into_value()),
        ("base", base_version.into_value()),
        ("submit", submit.into_value()),
    ];
    if stale {
        // Parallel update: keep it whole beside the return, apply nothing.
        let content = ReturnContent {
            answers,
            files: merge_files(old.files.clone(), stored),
        };
        binds.push(("content", to_json(&content)?.into_value()));
        binds.push(("newest", r.version.into_value()));
        binds.push((
            "outcome",
            Outcome::Conflict.as_str().to_string().into_value(),
        ));
        let sql = "CREATE return_conflict CONTENT {
            ret: $ret, content: $content, submit: $submit, base_version: $base,
            newest_version: $newest, by_name: $by_name, at: $now, resolved: NONE
        }";
        return Ok(write_once(db, sql, binds, client_id, &target)
            .await?
            .unwrap_or(Outcome::Conflict));
    }
    let content = ReturnContent {
        answers,
        files: merge_files(old.files, stored),
    };
    let outcome = if submit {
        Outcome::Submitted
    } else {
        Outcome::Saved
    };
    binds.push(("content", to_json(&content)?.into_value()));
    binds.push(("outcome", outcome.as_str().to_string().into_value()));
    let sql = "LET $changed = (UPDATE $ret SET content = $content, version = version + 1,
            updated_at = $now, updated_by = $by_name,
            state = IF $submit THEN 'submitted' ELSE state END,
            submitted_at = IF $submit THEN $now ELSE submitted_at END
            WHERE version = $base AND state IN ['draft', 'returned'] RETURN VALUE id);
         IF array::len($changed) = 0 { THROW 'stale' }";
    match write_once(db, sql, binds, client_id, &target).await {
        Ok(replayed) => Ok(replayed.unwrap_or(outcome)),
        // Another submission got in between reading and writing: this one is now a
        // parallel update; store it as such (same id, so still at most once).
        Err(AppError::WrongState) => {
            Box::pin(submit_return(
                db,
                user,
                id,
                &sent,
                files,
                client_id,
                base_version,
                submit,
                files_dir,
                now,
            ))
            .await
        }
        Err(e) => Err(e),
    }
}

/// The central office sends a submitted return back (with comments, required) or
/// accepts it: new problems become ledger items with source 自查回头看, each attached
/// item's status lands in its history and checks, all in one transaction.
pub async fn review_return(
    db: &Db,
    user: &SessionUser,
    id: &str,
    accept: bool,
    comments: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, AppError> {
    require_central(user)?;
    let r = load_return(db, user, id).await?;
    if !return_reviewable(r.state()) {
        return Err(AppError::WrongState);
    }
    if r.conflicts > 0 {
        // A parallel update is waiting: it is decided before the return is.
        return Err(AppError::WrongState);
    }
    let comments = comments.trim();
    if comments.chars().count() > rules::TEXT_MAX {
        return Err(AppError::invalid(
            Field::Opinion,
            Problem::TooLong {
                max: rules::TEXT_MAX as u32,
            },
        ));
    }
    if !accept {
        if comments.is_empty() {
            return Err(AppError::invalid(Field::Opinion, Problem::Required));
        }
        let changed: Vec<RecordId> = db
            .query(
                "UPDATE $ret SET state = 'returned', comments = $comments, reviewed_at = $now
                    WHERE state = 'submitted' AND version = $version RETURN VALUE id",
            )
            .bind(("ret", r.id.clone()))
            .bind(("comments", comments.to_string()))
            .bind(("now", now))
            .bind(("version", r.version))
            .await?
            .check()?
            .take(0)?;
        return if changed.is_empty() {
            Err(AppError::WrongState)
        } else {
            Ok(Vec::new())
        };
    }
    let c = load_campaign(db, &key_of(&r.campaign)).await?;
    let content = r.content();
    let found_on = format_date(r.submitted_at.map(today).unwrap_or_else(|| today(now)));
    let new_items: Vec<NewItem> = content
        .answers
        .new_problems
        .iter()
        .map(|p| NewItem {
            unit: p.unit.clone(),
            source: "look_back".into(),
            category: p.category.clone(),
            nature: p.nature.clone(),
            description: p.description.clone(),
            found_on: found_on.clone(),
            found_in: c.name.chars().take(100).collect(),
            deadline: p.deadline.clone(),
            supervising_office: r.place.chars().take(100).collect(),
            head_name: p.head_name.clone(),
            ..NewItem::default()
        })
        .collect();
    let prepared = prepare_items(
        db,
        &new_items,
        now,
        "look_back_register",
        json!({ "campaign": c.name, "return": r.place }),
    )
    .await?;
    let all = attached_items(db, &c.items).await?;
    let mut binds = prepared.binds(user, now);
    let mut changes = prepared.changes;
    let mut checks = Vec::new();
    for report in &content.answers.items {
        let Some(truth) = report.truth else { continue };
        let Some(item) = all.iter().find(|i| key_of(&i.id) == report.item) else {
            continue;
        };
        let files: Vec<&StoredFile> = content
            .files
            .iter()
            .filter(|f| f.input == format!("evidence-{}", report.item))
            .collect();
        changes.push(Change {
            item: item.id.clone(),
            action: "look_back",
            before: json!({ "status": item.status }),
            after: json!({
                "campaign": c.name, "return": r.place, "truth": truth.as_str(),
                "note": report.note, "photos": files.len(),
            }),
        });
        checks.push(json!({
            "item": key_of(&item.id), "kind": "look_back", "outcome": truth.as_str(),
            "note": report.note, "files": to_json(&files)?, "source": format!("campaign_return:{}", key_of(&r.id)),
            "campaign_name": c.name, "by_name": r.place, "checked_on": found_on,
        }));
    }
    let numbers: Vec<String> = prepared.made.iter().map(|(_, n)| n.clone()).collect();
    binds.push(("ret", r.id.clone().into_value()));
    binds.push(("version", r.version.into_value()));
    binds.push(("numbers", numbers.clone().into_value()));
    binds.push(("checks", checks_value(checks)?));
    let sql = format!(
        "LET $changed = (UPDATE $ret SET state = 'accepted', reviewed_at = $now,
            comments = NONE, registered = $numbers
            WHERE state = 'submitted' AND version = $version RETURN VALUE id);
         IF array::len($changed) = 0 {{ THROW 'stale' }};
         {CREATE_ITEMS};
         {CREATE_CHECKS}"
    );
    commit_many(db, user, now, &changes, &sql, binds).await?;
    Ok(numbers)
}

/// Writes the checks (`$checks`, each with the item's key) in the caller's transaction.
const CREATE_CHECKS: &str = "FOR $c IN $checks {
    CREATE item_check SET item = type::record('item', $c.item), kind = $c.kind,
        outcome = $c.outcome, note = $c.note, files = $c.files, source = $c.source,
        campaign_name = $c.campaign_name, by_name = $c.by_name, checked_on = $c.checked_on,
        at = $now;
}";

fn checks_value(checks: Vec<serde_json::Value>) -> Result<Value, AppError> {
    Ok(serde_json::Value::Array(checks).into_value())
}

/// The reviewer decides a parallel update: take it (it becomes the return's content,
/// and its submission stands if it was one) or set it aside.
pub async fn resolve_conflict(
    db: &Db,
    user: &SessionUser,
    conflict: &str,
    take: bool,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    require_central(user)?;
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Row {
        ret: RecordId,
        content: String,
        submit: bool,
        resolved: Option<String>,
    }
    let row: Option<Row> = db
        .query("SELECT ret, content, submit, resolved FROM ONLY $id")
        .bind(("id", record("return_conflict", valid_key(conflict)?)))
        .await?
        .check()?
        .take(0)?;
    let row = row.ok_or(AppError::NotFound)?;
    if row.resolved.is_some() {
        return Err(AppError::WrongState);
    }
    let r = load_return(db, user, &key_of(&row.ret)).await?;
    if take && r.state() == ReturnState::Accepted {
        return Err(AppError::WrongState);
    }
    let mut response = db
        .query(
            "BEGIN TRANSACTION;
             LET $done = (UPDATE $id SET resolved = $how WHERE resolved = NONE RETURN VALUE id);
             IF array::len($done) = 0 { THROW 'stale' };
             IF $take {
                UPDATE $ret SET content = $content, version = version + 1, updated_at = $now,
                    state = IF $submit THEN 'submitted' ELSE state END,
                    submitted_at = IF $submit AND submitted_at = NONE THEN $now ELSE submitted_at END;
             };
             COMMIT TRANSACTION;",
        )
        .bind(("id", record("return_conflict", valid_key(conflict)?)))
        .bind(("how", if take { "taken" } else { "set_aside" }))
        .bind(("take", take))
        .bind(("ret", r.id.clone()))
        .bind(("content", row.content))
        .bind(("submit", row.submit))
        .bind(("now", now))
        .await?;
    if let Some(text) = crate::db::errors_of(&mut response) {
        return Err(if text.contains("stale") {
            AppError::WrongState
        } else {
            AppError::internal(format!("resolving: {text}"))
        });
    }
    Ok(key_of(&r.id))
}

/// The central office sends someone on site: to chosen items of a unit, or to the unit
/// (then to all of its items attached to the campaign, or its open items).
#[allow(clippy::too_many_arguments)]
pub async fn plan_verification(
    db: &Db,
    user: &SessionUser,
    campaign: Option<&str>,
    unit: &str,
    items: &[String],
    verifier: &str,
    planned_on: &str,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    require_central(user)?;
    let planned = parse_date(planned_on).ok_or(AppError::invalid(Field::Due, Problem::Invalid))?;
    let campaign = match campaign.filter(|c| !c.trim().is_empty()) {
        Some(c) => Some(load_campaign(db, c).await?),
        None => None,
    };
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct ItemUnit {
        id: RecordId,
        unit: RecordId,
        district: RecordId,
    }
    let item_ids: Vec<RecordId> = items
        .iter()
        .filter_map(|i| valid_key(i).ok())
        .map(|i| record("item", i))
        .collect();
    let chosen: Vec<ItemUnit> = if item_ids.is_empty() {
        let unit_id = record(
            "unit",
            valid_key(unit).map_err(|_| AppError::invalid(Field::Unit, Problem::Required))?,
        );
        match &campaign {
            Some(c) => db
                .query("SELECT id, unit, district FROM $items WHERE unit = $unit")
                .bind(("items", c.items.clone()))
                .bind(("unit", unit_id)),
            None => db
                .query("SELECT id, unit, district FROM item WHERE unit = $unit AND status NOT IN ['closed', 'withdrawn']")
                .bind(("unit", unit_id)),
        }
        .await?
        .check()?
        .take(0)?
    } else {
        db.query("SELECT id, unit, district FROM $items")
            .bind(("items", item_ids.clone()))
            .await?
            .check()?
            .take(0)?
    };
    if chosen.is_empty() || (!item_ids.is_empty() && chosen.len() != item_ids.len()) {
        return Err(AppError::invalid(Field::Item, Problem::Required));
    }
    let unit_id = chosen[0].unit.clone();
    if chosen.iter().any(|i| i.unit != unit_id) {
        // One visit, one unit.
        return Err(AppError::invalid(Field::Item, Problem::Invalid));
    }
    let district = chosen[0].district.clone();
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Verifier {
        role: String,
        scope_district: Option<RecordId>,
    }
    let v: Option<Verifier> = db
        .query("SELECT role, scope_district FROM ONLY $id")
        .bind((
            "id",
            record(
                "user",
                valid_key(verifier)
                    .map_err(|_| AppError::invalid(Field::User, Problem::Required))?,
            ),
        ))
        .await?
        .check()?
        .take(0)?;
    let ok = v.is_some_and(|v| {
        v.role == "central_office"
            || (v.role == "district_office" && v.scope_district.as_ref() == Some(&district))
    });
    if !ok {
        return Err(AppError::invalid(Field::User, Problem::Invalid));
    }
    let key = random_key();
    db.query(
        "CREATE $id CONTENT {
            campaign: $campaign, unit: $unit, district: $district, items: $items,
            verifier: $verifier, planned_on: $planned, state: 'planned', version: 0,
            content: '{}', created_by: $by, created_at: $now, registered: []
        }",
    )
    .bind(("id", record("verification", &key)))
    .bind(("campaign", campaign.map(|c| c.id)))
    .bind(("unit", unit_id))
    .bind(("district", district))
    .bind((
        "items",
        chosen.into_iter().map(|i| i.id).collect::<Vec<_>>(),
    ))
    .bind(("verifier", record("user", verifier.trim())))
    .bind(("planned", format_date(planned)))
    .bind(("by", record("user", &user.id)))
    .bind(("now", now))
    .await?
    .check()?;
    Ok(key)
}

async fn load_verification(
    db: &Db,
    user: &SessionUser,
    id: &str,
) -> Result<VerificationRow, AppError> {
    let row: Option<VerificationRow> = db
        .query(format!("SELECT {VERIFICATION_FIELDS} FROM ONLY $id"))
        .bind(("id", record("verification", valid_key(id)?)))
        .await?
        .check()?
        .take(0)?;
    let row = row.ok_or(AppError::NotFound)?;
    let sees = reads_all(user)
        || key_of(&row.verifier) == user.id
        || matches!(&user.scope, Scope::District { id, .. } if user.role == Role::DistrictOffice && *id == key_of(&row.district));
    if sees {
        Ok(row)
    } else {
        Err(AppError::NotFound)
    }
}

/// The verifications the caller is to carry out (or, for the central office, all open).
pub async fn my_verifications(
    db: &Db,
    user: &SessionUser,
) -> Result<Vec<VerificationLine>, AppError> {
    let rows: Vec<VerificationRow> = db
        .query(format!(
            "SELECT {VERIFICATION_FIELDS} FROM verification
                WHERE verifier = $me OR ($central AND state = 'planned') ORDER BY planned_on"
        ))
        .bind(("me", record("user", &user.id)))
        .bind(("central", user.role == Role::CentralOffice))
        .await?
        .check()?
        .take(0)?;
    Ok(rows.iter().map(verification_line).collect())
}

fn verification_spec(
    items: &[AttachedItem],
    units: &[(String, String)],
    categories: &[crate::ledger::ListEntry],
    now: DateTime<Utc>,
) -> VerificationSpec {
    VerificationSpec {
        items: items.iter().map(|i| i.key.clone()).collect(),
        units: units.iter().map(|(k, _)| k.clone()).collect(),
        categories: categories.iter().map(|c| c.code.clone()).collect(),
        today: format_date(today(now)),
    }
}

/// The verification page.
pub async fn verification_view(
    db: &Db,
    user: &SessionUser,
    id: &str,
    now: DateTime<Utc>,
) -> Result<VerificationView, AppError> {
    let v = load_verification(db, user, id).await?;
    let items: Vec<AttachedItem> = attached_items(db, &v.items)
        .await?
        .iter()
        .map(attached)
        .collect();
    let (units, categories) = choices(db, &[], Some(&v.unit)).await?;
    Ok(VerificationView {
        id: key_of(&v.id),
        campaign: v
            .campaign
            .as_ref()
            .map(|c| (key_of(c), v.campaign_name.clone().unwrap_or_default())),
        unit_name: v.unit_name.clone(),
        verifier_name: v.verifier_name.clone(),
        planned_on: v.planned_on.clone(),
        recorded: v.state == "recorded",
        version: v.version,
        editable: v.state == "planned" && key_of(&v.verifier) == user.id,
        spec: verification_spec(&items, &units, &categories, now),
        items,
        content: from_json(&v.content),
        units,
        categories,
        registered: v.registered.clone(),
    })
}

/// The verifier records the visit: findings update the items' history and checks, a
/// new problem found on site becomes a ledger item (source 实地核查), in one
/// transaction. Replays are answered from the first receipt; a record on an older
/// version (the visit was recorded meanwhile from another device) is refused as such.
#[allow(clippy::too_many_arguments)]
pub async fn record_verification(
    db: &Db,
    user: &SessionUser,
    id: &str,
    sent: &Sent,
    files: &[FormFile],
    client_id: &str,
    base_version: i64,
    files_dir: &Path,
    now: DateTime<Utc>,
) -> Result<Outcome, AppError> {
    let client_id = valid_client_id(client_id)?;
    let v = load_verification(db, user, id).await?;
    let target = format!("verification:{}", key_of(&v.id));
    if let Some(o) = receipt(db, client_id, &target).await? {
        return Ok(o);
    }
    if key_of(&v.verifier) != user.id {
        return Err(AppError::Forbidden);
    }
    let items: Vec<AttachedRow> = attached_items(db, &v.items).await?;
    let shown: Vec<AttachedItem> = items.iter().map(attached).collect();
    let (units, categories) = choices(db, &[], Some(&v.unit)).await?;
    let spec = verification_spec(&shown, &units, &categories, now);
    let mut sent = sent.clone();
    sent.files.extend(
        files
            .iter()
            .filter(|f| !f.file.is_empty())
            .map(|f| f.input.clone()),
    );
    let record_ = rules::read_verification(&spec, &sent, true).map_err(AppError::Form)?;
    let stored = store_form_files(
        db,
        user,
        files,
        |i| i == "photos" || i == "new-0-photo",
        files_dir,
        now,
    )
    .await?;
    if v.version != base_version || v.state != "planned" {
        // Recorded meanwhile (from another device): nothing is overwritten; the visit's
        // record stands and this one is refused as a parallel update.
        return Err(AppError::WrongState);
    }
    let new_items: Vec<NewItem> = record_
        .new_problem
        .iter()
        .map(|p| NewItem {
            unit: p.unit.clone(),
            source: "on_site".into(),
            category: p.category.clone(),
            nature: p.nature.clone(),
            description: p.description.clone(),
            found_on: record_.visited_on.clone(),
            found_in: v
                .campaign_name
                .clone()
                .unwrap_or_default()
                .chars()
                .take(100)
                .collect(),
            deadline: p.deadline.clone(),
            supervising_office: user.display_name.chars().take(100).collect(),
            head_name: p.head_name.clone(),
            ..NewItem::default()
        })
        .collect();
    let prepared = prepare_items(
        db,
        &new_items,
        now,
        "on_site_register",
        json!({ "verification": key_of(&v.id) }),
    )
    .await?;
    let mut binds = prepared.binds(user, now);
    let mut changes = prepared.changes;
    let mut checks = Vec::new();
    let photos: Vec<&StoredFile> = stored.iter().filter(|f| f.input == "photos").collect();
    for f in &record_.findings {
        let (Some(finding), Some(item)) =
            (f.finding, items.iter().find(|i| key_of(&i.id) == f.item))
        else {
            continue;
        };
        changes.push(Change {
            item: item.id.clone(),
            action: "on_site_check",
            before: json!({ "status": item.status }),
            after: json!({
                "finding": finding.as_str(), "note": f.note, "visited_on": record_.visited_on,
                "people": record_.people, "photos": photos.len(),
            }),
        });
        checks.push(json!({
            "item": key_of(&item.id), "kind": "on_site", "outcome": finding.as_str(),
            "note": f.note, "files": to_json(&photos)?, "source": format!("verification:{}", key_of(&v.id)),
            "campaign_name": v.campaign_name.clone().unwrap_or_default(), "by_name": user.display_name,
            "checked_on": record_.visited_on,
        }));
    }
    let numbers: Vec<String> = prepared.made.iter().map(|(_, n)| n.clone()).collect();
    let content = VerificationContent {
        record: record_,
        files: stored,
    };
    binds.push(("ver", v.id.clone().into_value()));
    binds.push(("base", base_version.into_value()));
    binds.push(("content", to_json(&content)?.into_value()));
    binds.push(("numbers", numbers.into_value()));
    binds.push(("checks", checks_value(checks)?));
    binds.push(("receipt", record("submission", client_id).into_value()));
    binds.push(("target", target.clone().into_value()));
    binds.push((
        "outcome",
        Outcome::Submitted.as_str().to_string().into_value(),
    ));
    binds.push(("by", record("user", &user.id).into_value()));
    let sql = format!(
        "LET $changed = (UPDATE $ver SET state = 'recorded', content = $content,
            version = version + 1, recorded_at = $now, registered = $numbers
            WHERE version = $base AND state = 'planned' RETURN VALUE id);
         IF array::len($changed) = 0 {{ THROW 'stale' }};
         {CREATE_ITEMS};
         {CREATE_CHECKS};
         CREATE $receipt SET target = $target, outcome = $outcome, by = $by, at = $now"
    );
    match commit_many(db, user, now, &changes, &sql, binds).await {
        Ok(()) => Ok(Outcome::Submitted),
        Err(e) => match receipt(db, client_id, &target).await? {
            Some(o) => Ok(o),
            None => Err(e),
        },
    }
}

/// The checks left on an item (for the item page; the caller already sees the item).
pub async fn item_checks(db: &Db, item: &RecordId) -> Result<Vec<ItemCheck>, AppError> {
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Row {
        id: RecordId,
        kind: String,
        outcome: String,
        note: String,
        files: String,
        campaign_name: String,
        by_name: String,
        checked_on: String,
    }
    let rows: Vec<Row> = db
        .query("SELECT id, kind, outcome, note, files, campaign_name, by_name, checked_on, at FROM item_check WHERE item = $item ORDER BY at")
        .bind(("item", item.clone()))
        .await?
        .check()?
        .take(0)?;
    Ok(rows
        .into_iter()
        .map(|r| ItemCheck {
            id: key_of(&r.id),
            kind: r.kind,
            outcome: r.outcome,
            note: r.note,
            campaign_name: r.campaign_name,
            by_name: r.by_name,
            on: r.checked_on,
            files: from_json::<Vec<StoredFile>>(&r.files),
        })
        .collect())
}

/// A file of a return (`r-<key>`), a parallel update of one (`p-<key>`), a verification
/// (`v-<key>`) or an item's check (`c-<key>`), if the caller may see its owner and the
/// owner holds the file.
pub async fn file_for_download(
    db: &Db,
    user: &SessionUser,
    owner: &str,
    sha256: &str,
) -> Result<StoredFile, AppError> {
    let (kind, key) = owner.split_once('-').ok_or(AppError::NotFound)?;
    let files: Vec<StoredFile> = match kind {
        "r" => load_return(db, user, key).await?.content().files,
        "v" => {
            from_json::<VerificationContent>(&load_verification(db, user, key).await?.content).files
        }
        "p" => {
            #[derive(SurrealValue)]
            #[surreal(crate = "surrealdb::types")]
            struct Row {
                ret: RecordId,
                content: String,
            }
            let row: Option<Row> = db
                .query("SELECT ret, content FROM ONLY $id")
                .bind(("id", record("return_conflict", valid_key(key)?)))
                .await?
                .check()?
                .take(0)?;
            let row = row.ok_or(AppError::NotFound)?;
            load_return(db, user, &key_of(&row.ret)).await?;
            from_json::<ReturnContent>(&row.content).files
        }
        "c" => {
            #[derive(SurrealValue)]
            #[surreal(crate = "surrealdb::types")]
            struct Row {
                item: RecordId,
                files: String,
            }
            let row: Option<Row> = db
                .query("SELECT item, files FROM ONLY $id")
                .bind(("id", record("item_check", valid_key(key)?)))
                .await?
                .check()?
                .take(0)?;
            let row = row.ok_or(AppError::NotFound)?;
            crate::ledger::service::get_item(db, user, &key_of(&row.item), Utc::now()).await?;
            from_json::<Vec<StoredFile>>(&row.files)
        }
        _ => return Err(AppError::NotFound),
    };
    files
        .into_iter()
        .find(|f| f.sha256 == sha256)
        .ok_or(AppError::NotFound)
}
