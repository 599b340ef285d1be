//! The ledger in the database. Server only.
//!
//! Every function takes the caller and checks, here on the server, that the item is in
//! the caller's scope (an item outside it is "not found", so its existence does not
//! leak) and that the step is theirs under the lifecycle rules. Every change is written
//! in one transaction together with its event in the hash chain.

mod history;
pub(crate) mod index;
mod read;
mod register;
mod steps;

pub use history::{ChainReport, verify_ledger};
pub(crate) use history::{Change, commit_many};
pub(crate) use read::{Binds, filter_clause};
pub use read::{
    acceptance_queue, attachment_for_download, get_item, list_categories, list_items,
    list_items_by_query, list_sources, unit_items,
};
pub(crate) use register::{CREATE_ITEMS, list_entries, prepare_items};
pub use register::{add_list_entry, register_item, register_many};
pub use steps::*;

use super::acceptance::{CoSigner, Round};
use super::lifecycle::{Actor, Nature, Status};
use crate::AppError;
use crate::auth::{Role, Scope, SessionUser};
use crate::db::{Db, key_of, read_where_in, record};
use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

/// The fields every item query selects, with the names and derived values pages need.
/// The three lists of an item's related rows (its measures' owners, the co-signers who
/// passed the current round, a pending extension) are left empty here: [`read_items`]
/// reads them for all the rows at once, a query each, instead of three subqueries a row.
pub(crate) const ITEM_FIELDS: &str = "id, number, unit, district, unit.name AS unit_name,
    district.name AS district_name, source, category, nature, status, description, legal_basis,
    quantity_baseline, quantity_remaining, found_on, found_in, original_deadline,
    approved_deadline, supervising_office, head_name, handler_name, handler_phone,
    registered_at, plan_returned_reason, next_review, closure_note, co_signers,
    acceptance_round, closed_on, closed_on_time, withdrawn_reason, accountability, recurrence_of,
    recurrence_of.number AS recurrence_number, shared_with,
    [] AS owners, [] AS passed, false AS extension_pending";

/// Items with everything pages need. `select` selects them (`SELECT {ITEM_FIELDS} …`, in
/// the order wanted); `binds` are its parameters. Then, in a second round trip, their
/// measures' owners, passed co-signers and pending extensions, each through its table's
/// `item` index however many items were found ([`read_where_in`]).
pub(crate) async fn read_items(
    db: &Db,
    select: &str,
    binds: Binds,
) -> Result<Vec<ItemRow>, AppError> {
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Owner {
        item: RecordId,
        owner: String,
    }
    #[derive(SurrealValue)]
    #[surreal(crate = "surrealdb::types")]
    struct Passed {
        item: RecordId,
        round: i64,
        co_signer: String,
    }
    let mut query = db.query(select);
    for (k, v) in binds {
        query = query.bind((k, v));
    }
    let mut items: Vec<ItemRow> = query.await?.check()?.take(0)?;
    let found: Vec<RecordId> = items.iter().map(|r| r.id.clone()).collect();
    let mut read = read_where_in(
        db,
        &found,
        &[
            "SELECT item, owner FROM measure WHERE item IN $some",
            "SELECT item, round, co_signer FROM acceptance WHERE item IN $some AND passed = true",
            "SELECT VALUE item FROM extension WHERE item IN $some AND decision = NONE",
        ],
    )
    .await?;
    let owners: Vec<Owner> = read.take(0)?;
    let passed: Vec<Passed> = read.take(1)?;
    let pending: Vec<RecordId> = read.take(2)?;
    let position: std::collections::HashMap<String, usize> = items
        .iter()
        .enumerate()
        .map(|(i, r)| (key_of(&r.id), i))
        .collect();
    let at = |item: &RecordId| position.get(&key_of(item)).copied();
    for o in owners {
        if let Some(i) = at(&o.item) {
            items[i].owners.push(o.owner);
        }
    }
    for p in passed {
        if let Some(i) = at(&p.item)
            && items[i].acceptance_round == p.round
        {
            items[i].passed.push(p.co_signer);
        }
    }
    for item in pending {
        if let Some(i) = at(&item) {
            items[i].extension_pending = true;
        }
    }
    Ok(items)
}

#[derive(SurrealValue, Clone, Debug)]
#[surreal(crate = "surrealdb::types")]
pub(crate) struct ItemRow {
    pub id: RecordId,
    pub number: String,
    pub unit: RecordId,
    pub district: RecordId,
    pub unit_name: String,
    pub district_name: String,
    pub source: String,
    pub category: String,
    pub nature: String,
    pub status: String,
    pub description: String,
    pub legal_basis: String,
    pub quantity_baseline: Option<i64>,
    pub quantity_remaining: Option<i64>,
    pub found_on: String,
    pub found_in: String,
    pub original_deadline: String,
    pub approved_deadline: String,
    pub supervising_office: String,
    pub head_name: String,
    pub handler_name: String,
    pub handler_phone: String,
    pub registered_at: DateTime<Utc>,
    pub plan_returned_reason: Option<String>,
    pub next_review: Option<String>,
    pub closure_note: Option<String>,
    pub co_signers: Vec<String>,
    pub acceptance_round: i64,
    pub closed_on: Option<String>,
    pub closed_on_time: Option<bool>,
    pub withdrawn_reason: Option<String>,
    pub accountability: Option<String>,
    pub recurrence_of: Option<RecordId>,
    pub recurrence_number: Option<String>,
    pub shared_with: Vec<String>,
    pub owners: Vec<String>,
    pub passed: Vec<String>,
    pub extension_pending: bool,
}

impl ItemRow {
    pub fn status(&self) -> Result<Status, AppError> {
        Status::parse(&self.status)
            .ok_or_else(|| AppError::internal(format!("stored status {:?}", self.status)))
    }

    pub fn nature(&self) -> Result<Nature, AppError> {
        Nature::parse(&self.nature)
            .ok_or_else(|| AppError::internal(format!("stored nature {:?}", self.nature)))
    }

    pub fn co_signers(&self) -> Vec<CoSigner> {
        self.co_signers
            .iter()
            .filter_map(|c| CoSigner::parse(c))
            .collect()
    }

    pub fn passed(&self) -> Vec<CoSigner> {
        self.passed
            .iter()
            .filter_map(|c| CoSigner::parse(c))
            .collect()
    }
}

/// The ledger is for every role but the administrator's.
pub fn require_ledger_reader(user: &SessionUser) -> Result<(), AppError> {
    if user.role == Role::Administrator {
        Err(AppError::Forbidden)
    } else {
        Ok(())
    }
}

/// Whether `user` may see an item of this unit, district and sharing. The one rule for
/// single items; [`scope_clause`] says the same to the database for lists.
pub fn may_see(user: &SessionUser, unit: &str, district: &str, shared_with: &[String]) -> bool {
    match (&user.role, &user.scope) {
        (Role::Administrator, _) => false,
        (_, Scope::Everything) => true,
        (_, Scope::District { id, .. }) => id == district,
        (_, Scope::Unit { id, .. }) => id == unit,
        (_, Scope::Partner(p)) => shared_with.iter().any(|s| s == p.as_str()),
    }
}

/// The WHERE condition limiting a list to the caller's scope, and its parameters.
pub(crate) fn scope_clause(user: &SessionUser) -> Result<(&'static str, Binds), AppError> {
    require_ledger_reader(user)?;
    Ok(match &user.scope {
        Scope::Everything => ("true", Vec::new()),
        Scope::District { id, .. } => (
            "district = $scope_district",
            vec![("scope_district", record("district", id).into_value())],
        ),
        Scope::Unit { id, .. } => (
            "unit = $scope_unit",
            vec![("scope_unit", record("unit", id).into_value())],
        ),
        Scope::Partner(p) => (
            "$scope_partner IN shared_with",
            vec![("scope_partner", p.as_str().to_string().into_value())],
        ),
    })
}

/// The item, if it exists and the caller may see it; otherwise NotFound.
pub(crate) async fn load_item(db: &Db, user: &SessionUser, id: &str) -> Result<ItemRow, AppError> {
    require_ledger_reader(user)?;
    let id = id.trim();
    if id.is_empty() || id.len() > 64 {
        return Err(AppError::NotFound);
    }
    let row = read_items(
        db,
        &format!("SELECT {ITEM_FIELDS} FROM $id"),
        vec![("id", record("item", id).into_value())],
    )
    .await?
    .pop()
    .ok_or(AppError::NotFound)?;
    if may_see(
        user,
        &key_of(&row.unit),
        &key_of(&row.district),
        &row.shared_with,
    ) {
        Ok(row)
    } else {
        Err(AppError::NotFound)
    }
}

/// How the caller stands to an item, for the lifecycle rules.
pub(crate) fn actor_for(user: &SessionUser, row: &ItemRow) -> Actor {
    let own_unit = matches!(&user.scope, Scope::Unit { id, .. } if *id == key_of(&row.unit));
    let pending_co_signer = CoSigner::of(user).is_some_and(|me| {
        let required = row.co_signers();
        let passed = row.passed();
        Round {
            required: &required,
            passed: &passed,
        }
        .is_pending(me)
    });
    Actor {
        role: user.role,
        own_unit,
        pending_co_signer,
    }
}
