//! Server functions of campaigns: what the pages read, and the one-field steps (open,
//! close, review, decide a parallel update). Forms with repeated or many fields and files
//! (new campaign, verification plan, return, verification record) are posted to the
//! handlers in `http`.

use super::{CampaignLine, CampaignView, ReturnView, VerificationLine, VerificationView};
use crate::AppError;
use leptos::prelude::*;

#[server(endpoint = "campaigns_data")]
pub async fn campaigns_data() -> Result<(Vec<CampaignLine>, Vec<VerificationLine>), AppError> {
    let user = crate::auth::require_user()?;
    let db = crate::web::db()?;
    let now = chrono::Utc::now();
    let campaigns = super::service::list_campaigns(&db, &user, now)
        .await
        .map_err(crate::web::refuse)?;
    let visits = super::service::my_verifications(&db, &user)
        .await
        .map_err(crate::web::refuse)?;
    Ok((campaigns, visits))
}

#[server(endpoint = "campaign_data")]
pub async fn campaign_data(id: String) -> Result<CampaignView, AppError> {
    let user = crate::auth::require_user()?;
    super::service::campaign_view(&crate::web::db()?, &user, &id, chrono::Utc::now())
        .await
        .map_err(crate::web::refuse)
}

#[server(endpoint = "return_data")]
pub async fn return_data(id: String) -> Result<ReturnView, AppError> {
    let user = crate::auth::require_user()?;
    super::service::return_view(&crate::web::db()?, &user, &id, chrono::Utc::now())
        .await
        .map_err(crate::web::refuse)
}

#[server(endpoint = "verification_data")]
pub async fn verification_data(id: String) -> Result<VerificationView, AppError> {
    let user = crate::auth::require_user()?;
    super::service::verification_view(&crate::web::db()?, &user, &id, chrono::Utc::now())
        .await
        .map_err(crate::web::refuse)
}

/// Open (`open` = true) or close a campaign.
#[server(endpoint = "campaign_state")]
pub async fn set_campaign_state(id: String, open: bool) -> Result<(), AppError> {
    let path = format!("/campaigns/{}", id.trim());
    let result = async {
        let user = crate::auth::require_user()?;
        let db = crate::web::db()?;
        let now = chrono::Utc::now();
        if open {
            super::service::open_campaign(&db, &user, &id, now).await
        } else {
            super::service::close_campaign(&db, &user, &id, now).await
        }
    }
    .await;
    crate::web::finish_form(result, &path, &[("saved", "1".into())], &path, &[])
}

/// Send a submitted return back with comments, or accept it.
#[server(endpoint = "review_return")]
pub async fn review_return(id: String, accept: bool, comments: String) -> Result<(), AppError> {
    let path = format!("/returns/{}", id.trim());
    let result = async {
        let user = crate::auth::require_user()?;
        super::service::review_return(
            &crate::web::db()?,
            &user,
            &id,
            accept,
            &comments,
            chrono::Utc::now(),
        )
        .await
        .map(|_| ())
    }
    .await;
    let flag = if accept { "accepted" } else { "returned" };
    crate::web::finish_form(
        result,
        &path,
        &[(flag, "1".into())],
        &path,
        &[("comments", comments.clone())],
    )
}

/// Take a parallel update into the return, or set it aside.
#[server(endpoint = "resolve_conflict")]
pub async fn resolve_conflict(id: String, take: bool) -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        super::service::resolve_conflict(&crate::web::db()?, &user, &id, take, chrono::Utc::now())
            .await
    }
    .await;
    let back = crate::web::referring_path();
    match result {
        Ok(ret) => {
            let path = format!("/returns/{ret}");
            crate::web::redirect_to(&path, &[("resolved", "1".into())]);
            Ok(())
        }
        Err(e) => {
            crate::web::redirect_with_error(&back, &e, &[]);
            Err(e)
        }
    }
}

/// Districts and units a new campaign may name (id, name; units with their district).
#[server(endpoint = "campaign_places")]
pub async fn campaign_places() -> Result<(Vec<(String, String)>, Vec<(String, String)>), AppError> {
    let _user = crate::auth::require_role(&[crate::auth::Role::CentralOffice])?;
    let db = crate::web::db()?;
    let districts = crate::org::service::list_districts(&db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let units = crate::org::service::list_units(&db, None)
        .await?
        .into_iter()
        .map(|u| (u.id, format!("{} · {}", u.district_name, u.name)))
        .collect();
    Ok((districts, units))
}
