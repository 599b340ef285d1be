//! Each role's home screen. Until the ledger lands, each shows the real organisation
//! data it can and says what is coming; it never shows invented figures.

pub mod page;

use crate::AppError;
use crate::org::{OrgCounts, Unit};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the home screen shows beside the user's own details.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeOverview {
    /// City-wide counts, for users whose scope is everything.
    pub counts: Option<OrgCounts>,
    /// The units of a district office's district.
    pub district_units: Vec<Unit>,
}

#[server(endpoint = "home_overview")]
pub async fn load_home_overview() -> Result<HomeOverview, AppError> {
    use crate::auth::{Scope, require_user};
    use crate::org::service;
    let user = require_user()?;
    let db = crate::web::db()?;
    Ok(match &user.scope {
        Scope::Everything => HomeOverview {
            counts: Some(service::counts(&db).await?),
            district_units: Vec::new(),
        },
        Scope::District { id, .. } => HomeOverview {
            counts: None,
            district_units: service::list_units(&db, Some(id)).await?,
        },
        Scope::Unit { .. } | Scope::Partner(_) => HomeOverview::default(),
    })
}
