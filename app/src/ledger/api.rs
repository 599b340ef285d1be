//! Server functions of the ledger. Each: the session first, then one call into the
//! service (which checks scope and the lifecycle rules), then the redirect that makes
//! the plain HTML form work with JavaScript on or off.

use super::{ItemDetail, ItemFilter, ItemPage, ItemSummary, ListEntry, NewItem, PlanInput};
use crate::AppError;
use crate::org::{District, Unit};
use leptos::prelude::*;

/// Everything the ledger's filters and the registration form choose from.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LedgerChoices {
    pub districts: Vec<District>,
    pub units: Vec<Unit>,
    pub categories: Vec<ListEntry>,
    pub sources: Vec<ListEntry>,
}

#[cfg(feature = "ssr")]
fn reader() -> Result<crate::auth::SessionUser, AppError> {
    let user = crate::auth::require_user()?;
    super::service::require_ledger_reader(&user).map_err(crate::web::refuse)?;
    Ok(user)
}

/// After a form on the item page: back to the item, with `saved=<what>` or the error.
#[cfg(feature = "ssr")]
fn finish_item_form<T>(
    result: Result<T, AppError>,
    item: &str,
    saved: &str,
    keep: &[(&str, String)],
) -> Result<(), AppError> {
    let path = format!(
        "/items/{}",
        form_urlencoded::byte_serialize(item.trim().as_bytes()).collect::<String>()
    );
    if let Err(e) = &result
        && matches!(e, AppError::NotFound | AppError::Forbidden)
    {
        crate::web::set_status(e.status());
    }
    crate::web::finish_form(result, &path, &[("saved", saved.to_string())], &path, keep).map(|_| ())
}

#[server(endpoint = "ledger_choices")]
pub async fn load_ledger_choices() -> Result<LedgerChoices, AppError> {
    reader()?;
    let db = crate::web::db()?;
    Ok(LedgerChoices {
        districts: crate::org::service::list_districts(&db).await?,
        units: crate::org::service::list_units(&db, None).await?,
        categories: super::service::list_categories(&db).await?,
        sources: super::service::list_sources(&db).await?,
    })
}

#[server(endpoint = "ledger_page")]
pub async fn ledger_page(filter: ItemFilter) -> Result<ItemPage, AppError> {
    let user = reader()?;
    super::service::list_items(&crate::web::db()?, &user, &filter, chrono::Utc::now()).await
}

#[server(endpoint = "my_items")]
pub async fn my_items() -> Result<Vec<ItemSummary>, AppError> {
    let user = reader()?;
    super::service::unit_items(&crate::web::db()?, &user, chrono::Utc::now())
        .await
        .map_err(crate::web::refuse)
}

#[server(endpoint = "acceptance_items")]
pub async fn acceptance_items() -> Result<Vec<ItemSummary>, AppError> {
    let user = reader()?;
    super::service::acceptance_queue(&crate::web::db()?, &user, chrono::Utc::now())
        .await
        .map_err(crate::web::refuse)
}

/// The item page's data. A partner opening a notified item records the read receipt,
/// unless a page of another site sent them: a link elsewhere must not sign for them.
#[server(endpoint = "item_detail")]
pub async fn load_item_detail(id: String) -> Result<ItemDetail, AppError> {
    let user = reader()?;
    let db = crate::web::db()?;
    let now = chrono::Utc::now();
    let result = async {
        if !crate::web::sent_from_another_site() {
            super::service::mark_notifications_read(&db, &user, &id, now).await?;
        }
        super::service::get_item(&db, &user, &id, now).await
    }
    .await;
    result.map_err(crate::web::refuse)
}

#[server(endpoint = "register_item")]
pub async fn register_item(item: NewItem) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        super::service::register_item(&crate::web::db()?, &user, &item, chrono::Utc::now()).await
    }
    .await;
    match &result {
        Ok((id, _)) => {
            crate::web::redirect_to(&format!("/items/{id}"), &[("saved", "registered".into())])
        }
        Err(e) => {
            let keep = [
                ("unit", item.unit.clone()),
                ("source", item.source.clone()),
                ("category", item.category.clone()),
                ("nature", item.nature.clone()),
                ("description", item.description.clone()),
                ("legal_basis", item.legal_basis.clone()),
                ("quantity", item.quantity.clone()),
                ("found_on", item.found_on.clone()),
                ("found_in", item.found_in.clone()),
                ("deadline", item.deadline.clone()),
                ("supervising_office", item.supervising_office.clone()),
                ("head_name", item.head_name.clone()),
                ("handler_name", item.handler_name.clone()),
                ("handler_phone", item.handler_phone.clone()),
                ("recurrence_of", item.recurrence_of.clone()),
            ];
            crate::web::redirect_with_error("/ledger/new", e, &keep);
        }
    }
    result.map(|_| ())
}

/// The steps that take at most a reason: issue, acknowledge, approve or return the
/// plan, withdraw.
#[server(endpoint = "item_step")]
pub async fn item_step(
    item: String,
    step: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    use super::service as s;
    let result = async {
        let user = crate::auth::require_user()?;
        let db = crate::web::db()?;
        let now = chrono::Utc::now();
        match step.as_str() {
            "issue" => s::issue(&db, &user, &item, now).await,
            "acknowledge" => s::acknowledge(&db, &user, &item, now).await,
            "approve_plan" => s::approve_plan(&db, &user, &item, now).await,
            "return_plan" => s::return_plan(&db, &user, &item, &reason, now).await,
            "withdraw" => s::withdraw(&db, &user, &item, &reason, now).await,
            _ => Err(AppError::BadRequest),
        }
    }
    .await;
    finish_item_form(result, &item, &step, &[("reason", reason.clone())])
}

#[server(endpoint = "submit_plan")]
pub async fn submit_plan(item: String, plan: PlanInput) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        super::service::submit_plan(&crate::web::db()?, &user, &item, &plan, chrono::Utc::now())
            .await
    }
    .await;
    finish_item_form(result, &item, "submit_plan", &[])
}

#[server(endpoint = "complete_measure")]
pub async fn complete_measure(item: String, measure: String) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        super::service::complete_measure(
            &crate::web::db()?,
            &user,
            &item,
            &measure,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    finish_item_form(result, &item, "complete_measure", &[])
}

#[server(endpoint = "request_extension")]
pub async fn request_extension(
    item: String,
    reason: String,
    new_deadline: String,
) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        super::service::request_extension(
            &crate::web::db()?,
            &user,
            &item,
            &reason,
            &new_deadline,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    let keep = [
        ("reason", reason.clone()),
        ("new_deadline", new_deadline.clone()),
    ];
    finish_item_form(result, &item, "request_extension", &keep)
}

#[server(endpoint = "decide_extension")]
pub async fn decide_extension(
    item: String,
    decision: String,
    #[server(default)] opinion: String,
) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        let approve = match decision.as_str() {
            "approve" => true,
            "refuse" => false,
            _ => return Err(AppError::BadRequest),
        };
        super::service::decide_extension(
            &crate::web::db()?,
            &user,
            &item,
            approve,
            &opinion,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    finish_item_form(
        result,
        &item,
        "decide_extension",
        &[("opinion", opinion.clone())],
    )
}

#[server(endpoint = "request_closure")]
pub async fn request_closure(
    item: String,
    note: String,
    #[server(default)] inspection: String,
    #[server(default)] organisation: String,
    #[server(default)] human_resources: String,
) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        let chosen: Vec<String> = [
            ("inspection", &inspection),
            ("organisation", &organisation),
            ("human_resources", &human_resources),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, _)| k.to_string())
        .collect();
        super::service::request_closure(
            &crate::web::db()?,
            &user,
            &item,
            &note,
            &chosen,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    finish_item_form(result, &item, "request_closure", &[("note", note.clone())])
}

#[server(endpoint = "co_sign")]
pub async fn co_sign(
    item: String,
    decision: String,
    #[server(default)] opinion: String,
) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        let pass = match decision.as_str() {
            "pass" => true,
            "return" => false,
            _ => return Err(AppError::BadRequest),
        };
        super::service::co_sign(
            &crate::web::db()?,
            &user,
            &item,
            pass,
            &opinion,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    finish_item_form(result, &item, "co_sign", &[("opinion", opinion.clone())])
}

#[server(endpoint = "notify_department")]
pub async fn notify_department(
    item: String,
    dept: String,
    #[server(default)] note: String,
) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        super::service::notify(
            &crate::web::db()?,
            &user,
            &item,
            &dept,
            &note,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    finish_item_form(result, &item, "notify", &[])
}

#[server(endpoint = "record_accountability")]
pub async fn record_accountability(item: String, text: String) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        super::service::record_accountability(
            &crate::web::db()?,
            &user,
            &item,
            &text,
            chrono::Utc::now(),
        )
        .await
    }
    .await;
    finish_item_form(result, &item, "accountability", &[("text", text.clone())])
}

#[server(endpoint = "comment_item")]
pub async fn comment_item(item: String, text: String) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        super::service::comment(&crate::web::db()?, &user, &item, &text, chrono::Utc::now()).await
    }
    .await;
    finish_item_form(result, &item, "comment", &[("text", text.clone())])
}

#[server(endpoint = "add_list_entry")]
pub async fn add_list_entry(table: String, name: String, name_en: String) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        super::service::add_list_entry(&crate::web::db()?, &user, &table, &name, &name_en).await
    }
    .await;
    crate::web::finish_form(
        result,
        "/admin/lists",
        &[("saved", "1".into())],
        "/admin/lists",
        &[],
    )
}

#[server(endpoint = "ledger_lists")]
pub async fn ledger_lists() -> Result<(Vec<ListEntry>, Vec<ListEntry>), AppError> {
    crate::auth::require_user()?;
    let db = crate::web::db()?;
    Ok((
        super::service::list_categories(&db).await?,
        super::service::list_sources(&db).await?,
    ))
}

/// What the history check found: events verified, and the first break if any.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HistoryCheck {
    pub events: i64,
    /// None when intact; otherwise where it breaks, in words for the log.
    pub first_break: Option<String>,
}

/// Recompute the hash chain of the whole history (the central office).
#[server(endpoint = "check_history")]
pub async fn check_history() -> Result<HistoryCheck, AppError> {
    crate::auth::require_role(&[crate::auth::Role::CentralOffice])?;
    let report = super::service::verify_ledger(&crate::web::db()?).await?;
    Ok(HistoryCheck {
        events: report.events,
        first_break: report.first_break.map(|b| format!("{b:?}")),
    })
}
