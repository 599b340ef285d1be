//! Server functions of the dashboard.

use super::DashboardView;
use crate::AppError;
use leptos::prelude::*;

/// The dashboard, live (`snapshot` empty) or a frozen one.
#[server(endpoint = "dashboard_data")]
pub async fn dashboard_data(snapshot: String) -> Result<DashboardView, AppError> {
    let user = crate::auth::require_user()?;
    super::service::view(&crate::web::db()?, &user, &snapshot, chrono::Utc::now())
        .await
        .map_err(crate::web::refuse)
}

/// Freeze the figures now (the central office).
#[server(endpoint = "freeze_dashboard")]
pub async fn freeze_dashboard() -> Result<(), AppError> {
    let result = async {
        let user = crate::auth::require_user()?;
        super::service::freeze(&crate::web::db()?, Some(&user), None, chrono::Utc::now())
            .await
            .map(|_| ())
    }
    .await;
    crate::web::finish_form(
        result,
        "/dashboard",
        &[("frozen", "1".into())],
        "/dashboard",
        &[],
    )
}
