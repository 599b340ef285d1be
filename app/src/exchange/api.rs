//! Server functions of the import.

use super::ImportPreview;
use crate::AppError;
use leptos::prelude::*;

/// The preview of an uploaded sheet (the uploader's own).
#[server(endpoint = "import_batch")]
pub async fn import_batch(batch: String) -> Result<ImportPreview, AppError> {
    let user = crate::auth::require_user()?;
    super::import::preview(&crate::web::db()?, &user, &batch)
        .await
        .map_err(crate::web::refuse)
}

/// Register every item of a checked sheet, all or nothing.
#[server(endpoint = "confirm_import")]
pub async fn confirm_import(batch: String) -> Result<(), AppError> {
    let keep = [("batch", batch.trim().to_string())];
    let result = async {
        let user = crate::auth::require_user()?;
        super::import::confirm(&crate::web::db()?, &user, &batch, chrono::Utc::now())
            .await
            .map(|_| ())
    }
    .await;
    crate::web::finish_form(
        result,
        "/ledger/import",
        &[keep[0].clone(), ("imported", "1".into())],
        "/ledger/import",
        &keep,
    )
}
