//! Excel over HTTP (server only): the downloads stream a file; the upload is multipart.
//! Each handler checks the session and the caller's role and scope like every server
//! function.

use super::{export, import};
use crate::AppError;
use crate::auth::SessionUser;
use crate::db::Db;
use crate::ledger::ItemFilter;
use crate::web::Settings;
use axum::Extension;
use axum::body::Body;
use axum::extract::{Multipart, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn error_response(e: AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, e.to_string()).into_response()
}

fn attachment(name: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    format!(
        "attachment; filename*=UTF-8''{}",
        encoded.replace('+', "%20")
    )
}

fn xlsx_headers(res: &mut Response, name: &str) {
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(XLSX));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&attachment(name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
}

/// `GET /ledger/export?…`: the ledger page's filters, every matching item in the
/// caller's scope. The file is written to a temporary folder, opened, unlinked and
/// streamed, so neither the rows nor the file are ever all in memory.
pub async fn ledger_export(
    Extension(db): Extension<Db>,
    Extension(settings): Extension<Settings>,
    user: Option<Extension<SessionUser>>,
    Query(filter): Query<ItemFilter>,
) -> Response {
    let Some(Extension(user)) = user else {
        return error_response(AppError::NotSignedIn);
    };
    let now = chrono::Utc::now();
    let dir = settings.files_dir.join("tmp");
    let (path, _) = match export::export_ledger(&db, &user, &filter, now, &dir).await {
        Ok(done) => done,
        Err(e) => return error_response(e),
    };
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) => return error_response(AppError::internal(e)),
    };
    let _ = tokio::fs::remove_file(&path).await;
    let mut res = Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let day = crate::ledger::calendar::format_date(crate::ledger::calendar::today(now));
    xlsx_headers(&mut res, &format!("问题台账-{day}.xlsx"));
    res
}

/// `GET /dashboard/export`: the statistics tables of the caller's dashboard.
pub async fn stats_export(
    Extension(db): Extension<Db>,
    user: Option<Extension<SessionUser>>,
) -> Response {
    let Some(Extension(user)) = user else {
        return error_response(AppError::NotSignedIn);
    };
    let now = chrono::Utc::now();
    let bytes = match crate::stats::service::dashboard_with_every_unit(&db, &user, now).await {
        Ok(d) => match export::export_stats(&d) {
            Ok(b) => b,
            Err(e) => return error_response(e),
        },
        Err(e) => return error_response(e),
    };
    let mut res = bytes.into_response();
    let day = crate::ledger::calendar::format_date(crate::ledger::calendar::today(now));
    xlsx_headers(&mut res, &format!("整改统计-{day}.xlsx"));
    res
}

/// `POST /api/import_ledger` (multipart, one file): check the sheet and show its preview.
pub async fn import_upload(
    Extension(db): Extension<Db>,
    user: Option<Extension<SessionUser>>,
    mut form: Multipart,
) -> Response {
    let Some(Extension(user)) = user else {
        return Redirect::to("/login").into_response();
    };
    // Who is asking comes before reading what they sent.
    if let Err(e) = import::may_import(&user) {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(e.to_query())
            .finish();
        return Redirect::to(&format!("/ledger/import?{query}")).into_response();
    }
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("sheet.xlsx").to_string();
            match field.bytes().await {
                Ok(b) => file = Some((name, b.to_vec())),
                Err(_) => break,
            }
        }
    }
    let result = match file {
        Some((name, bytes)) if !bytes.is_empty() => {
            import::upload(&db, &user, &name, &bytes, chrono::Utc::now()).await
        }
        _ => Err(AppError::invalid(
            crate::error::Field::Files,
            crate::error::Problem::Required,
        )),
    };
    match result {
        Ok(batch) => Redirect::to(&format!("/ledger/import?batch={batch}")).into_response(),
        Err(e) => {
            let query: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(e.to_query())
                .finish();
            Redirect::to(&format!("/ledger/import?{query}")).into_response()
        }
    }
}
