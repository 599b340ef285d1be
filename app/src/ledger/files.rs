//! Evidence over HTTP (server only): the progress report form, which carries files and
//! so is posted as multipart, and attachment downloads. Both are plain axum handlers
//! mounted by the server; both check the session and the item's scope like every
//! server function.

use super::evidence::{FileKind, MAX_FILE_BYTES, MAX_FILES};
use super::{ProgressInput, Upload, service};
use crate::AppError;
use crate::auth::SessionUser;
use crate::db::Db;
use crate::web::Settings;
use axum::Extension;
use axum::extract::{Multipart, Path};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

pub use super::evidence::{REPORT_PROGRESS_PATH, download_path};

/// The most a progress form may carry: every file at its limit, plus the text.
pub const REPORT_BODY_LIMIT: usize = MAX_FILES * MAX_FILE_BYTES + 1024 * 1024;

/// A stored file name for Content-Disposition (RFC 5987 percent-encoding).
fn disposition(kind: FileKind, name: &str) -> String {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let how = if kind.is_image() || kind == FileKind::Pdf {
        "inline"
    } else {
        "attachment"
    };
    format!("{how}; filename*=UTF-8''{encoded}")
}

fn error_response(e: AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, e.to_string()).into_response()
}

/// `GET /files/{id}`: the attachment, if its item is in the caller's scope.
pub async fn download(
    Extension(db): Extension<Db>,
    Extension(settings): Extension<Settings>,
    user: Option<Extension<SessionUser>>,
    Path(id): Path<String>,
) -> Response {
    let Some(Extension(user)) = user else {
        return error_response(AppError::NotSignedIn);
    };
    let (sha, kind, name) = match service::attachment_for_download(&db, &user, &id).await {
        Ok(found) => found,
        Err(e) => return error_response(e),
    };
    serve_file(&settings.files_dir, &sha, kind, &name).await
}

/// The stored file `sha`, served as `kind` under `name`, never sniffed by the browser.
pub async fn serve_file(
    files_dir: &std::path::Path,
    sha: &str,
    kind: FileKind,
    name: &str,
) -> Response {
    let path = service::stored_path(files_dir, sha);
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut res = bytes.into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(kind.content_type()),
            );
            h.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=86400"),
            );
            if let Ok(v) = HeaderValue::from_str(&disposition(kind, name)) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Err(e) => error_response(AppError::internal(format!("evidence file {sha}: {e}"))),
    }
}

/// `POST /api/report_progress` (multipart): text fields and up to six files. Like every
/// form, it answers with a redirect: to the item on success, back to it with the error
/// (and the typed text) otherwise.
pub async fn report_progress(
    Extension(db): Extension<Db>,
    Extension(settings): Extension<Settings>,
    user: Option<Extension<SessionUser>>,
    mut form: Multipart,
) -> Response {
    let mut item = String::new();
    let mut input = ProgressInput::default();
    let mut uploads = Vec::new();
    let mut malformed = false;
    let mut failed = None;
    loop {
        if user.is_none() {
            // Who is calling is known before the body is read (the guard refuses strangers).
            break;
        }
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                malformed = true;
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "files" {
            // To disk as it comes; its size is judged with the rest of the report.
            match Upload::receive(field, &settings.files_dir, MAX_FILE_BYTES).await {
                Ok(file) => uploads.push(file),
                Err(AppError::BadRequest) => {
                    malformed = true;
                    break;
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
            continue;
        }
        let Ok(text) = field.text().await else {
            malformed = true;
            break;
        };
        match name.as_str() {
            "item" => item = text,
            "text" => input.text = text,
            "remaining" => input.remaining = text,
            "reasons" => input.reasons = text,
            "next_steps" => input.next_steps = text,
            _ => {}
        }
    }
    let item_path = format!("/items/{}", urlencode(item.trim()));
    let result = match (user, failed) {
        (None, _) => Err(AppError::NotSignedIn),
        (Some(_), Some(e)) => Err(e),
        (Some(_), None) if malformed => Err(AppError::BadRequest),
        (Some(Extension(user)), None) => {
            service::report_progress(
                &db,
                &user,
                &item,
                &input,
                &uploads,
                &settings.files_dir,
                chrono::Utc::now(),
            )
            .await
        }
    };
    match result {
        Ok(()) => Redirect::to(&format!("{item_path}?saved=progress#progress")).into_response(),
        Err(AppError::NotSignedIn) => Redirect::to("/login").into_response(),
        Err(e) => {
            let mut pairs = e.to_query();
            for (k, v) in [
                ("text", input.text),
                ("remaining", input.remaining),
                ("reasons", input.reasons),
                ("next_steps", input.next_steps),
            ] {
                if !v.is_empty() {
                    pairs.push((k, v));
                }
            }
            let query: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
                .finish();
            let mut res = Redirect::to(&format!("{item_path}?{query}#progress")).into_response();
            // A refused upload is still a redirect (the page shows why); log it.
            tracing::info!(error = %e, "progress report refused");
            res.headers_mut()
                .insert("x-rectify-error", HeaderValue::from_static("1"));
            res
        }
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
