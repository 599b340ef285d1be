//! Campaign forms over HTTP (server only). A return or verification is multipart (it
//! carries photos); it is posted by a plain form (answered with a redirect) or by the
//! device's queue (header `x-rectify-queue: 1`, answered with JSON the queue keeps:
//! `{"outcome": …}` on receipt, `{"error": …}` with the status otherwise). The new
//! campaign and the verification plan are URL-encoded forms with repeated fields.

use super::Outcome;
use super::rules::{self, Sent};
use super::service::{self, FormFile};
use crate::AppError;
use crate::auth::SessionUser;
use crate::db::Db;
use crate::ledger::evidence::MAX_FILE_BYTES;
use crate::ledger::incoming::Incoming;
use crate::web::Settings;
use axum::extract::{Multipart, Path};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};

pub use super::{CREATE_CAMPAIGN_PATH, PLAN_VERIFICATION_PATH};

fn query(pairs: &[(&str, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        .finish()
}

fn back_with_error(path: &str, e: &AppError, keep: &[(&str, String)]) -> Response {
    if *e == AppError::NotSignedIn {
        return Redirect::to("/login").into_response();
    }
    tracing::info!(error = %e, path, "form refused");
    let mut pairs = e.to_query();
    pairs.extend(keep.iter().filter(|(_, v)| !v.is_empty()).cloned());
    Redirect::to(&format!("{path}?{}", query(&pairs))).into_response()
}

/// A form as sent: its text fields, its files, and the photo times the device added.
#[derive(Default)]
struct Received {
    pairs: Vec<(String, String)>,
    files: Vec<FormFile>,
}

impl Received {
    fn value(&self, name: &str) -> String {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }

    fn sent(&self) -> Sent {
        Sent::new(&self.pairs, std::iter::empty())
    }
}

async fn receive(mut form: Multipart, files_dir: &std::path::Path) -> Result<Received, AppError> {
    let mut got = Received::default();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(AppError::BadRequest),
        };
        let name = field.name().unwrap_or_default().to_string();
        if field.file_name().is_some() {
            // Each file to disk as it comes, whatever its size: the limit is judged
            // after, with the rest of the form.
            let file = Incoming::receive(field, files_dir, MAX_FILE_BYTES).await?;
            if !file.is_empty() {
                got.files.push(FormFile {
                    input: name,
                    file,
                    taken_ms: None,
                });
            }
            continue;
        }
        let text = field.text().await.map_err(|_| AppError::BadRequest)?;
        got.pairs.push((name, text));
    }
    for f in &mut got.files {
        f.taken_ms = got
            .pairs
            .iter()
            .find(|(k, _)| *k == format!("taken-{}", f.input))
            .and_then(|(_, v)| v.trim().parse::<i64>().ok());
    }
    Ok(got)
}

fn from_queue(headers: &HeaderMap) -> bool {
    headers
        .get("x-rectify-queue")
        .is_some_and(|v| v.as_bytes() == b"1")
}

/// The answer to the device's queue.
fn queue_answer(result: &Result<Outcome, AppError>, redirect: &str) -> Response {
    match result {
        Ok(o) => {
            Json(serde_json::json!({ "outcome": o.as_str(), "redirect": redirect })).into_response()
        }
        Err(e) => {
            let status =
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, Json(serde_json::json!({ "error": e }))).into_response()
        }
    }
}

/// `POST /api/campaign_return`: a return's draft or submission.
pub async fn submit_return(
    Extension(db): Extension<Db>,
    Extension(settings): Extension<Settings>,
    user: Option<Extension<SessionUser>>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    // Who is calling is known before the body is read (the guard refuses strangers).
    let received = match &user {
        None => Err(AppError::NotSignedIn),
        Some(_) => receive(form, &settings.files_dir).await,
    };
    let id = received
        .as_ref()
        .map(|r| r.value("return"))
        .unwrap_or_default();
    let path = format!("/returns/{}", urlencode(&id));
    let result = match (user, received) {
        (None, _) => Err(AppError::NotSignedIn),
        (_, Err(e)) => Err(e),
        (Some(Extension(user)), Ok(r)) => {
            let base = r.value("base_version").parse::<i64>().unwrap_or(-1);
            service::submit_return(
                &db,
                &user,
                &id,
                &r.sent(),
                &r.files,
                &r.value("client_id"),
                base,
                r.value("intent") == "submit",
                &settings.files_dir,
                chrono::Utc::now(),
            )
            .await
        }
    };
    if from_queue(&headers) {
        return queue_answer(&result, &path);
    }
    match result {
        Ok(o) => Redirect::to(&format!("{path}?sent={}", o.as_str())).into_response(),
        Err(e) => back_with_error(&path, &e, &[]),
    }
}

/// `POST /api/verification`: the verifier's record of a visit.
pub async fn record_verification(
    Extension(db): Extension<Db>,
    Extension(settings): Extension<Settings>,
    user: Option<Extension<SessionUser>>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    // Who is calling is known before the body is read (the guard refuses strangers).
    let received = match &user {
        None => Err(AppError::NotSignedIn),
        Some(_) => receive(form, &settings.files_dir).await,
    };
    let id = received
        .as_ref()
        .map(|r| r.value("verification"))
        .unwrap_or_default();
    let path = format!("/verifications/{}", urlencode(&id));
    let result = match (user, received) {
        (None, _) => Err(AppError::NotSignedIn),
        (_, Err(e)) => Err(e),
        (Some(Extension(user)), Ok(r)) => {
            let base = r.value("base_version").parse::<i64>().unwrap_or(-1);
            service::record_verification(
                &db,
                &user,
                &id,
                &r.sent(),
                &r.files,
                &r.value("client_id"),
                base,
                &settings.files_dir,
                chrono::Utc::now(),
            )
            .await
        }
    };
    if from_queue(&headers) {
        return queue_answer(&result, &path);
    }
    match result {
        Ok(o) => Redirect::to(&format!("{path}?sent={}", o.as_str())).into_response(),
        Err(e) => back_with_error(&path, &e, &[]),
    }
}

/// `POST /api/create_campaign`: the new-campaign form.
pub async fn create_campaign(
    Extension(db): Extension<Db>,
    user: Option<Extension<SessionUser>>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let all = |name: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let sent = Sent::new(&pairs, std::iter::empty());
    let result = match user {
        None => Err(AppError::NotSignedIn),
        // Who is asking comes before what the form says.
        Some(Extension(user)) if service::require_central(&user).is_err() => {
            Err(AppError::Forbidden)
        }
        Some(Extension(user)) => match rules::read_campaign(&sent) {
            Err(problems) => Err(AppError::Form(problems)),
            Ok(draft) => {
                service::create_campaign(
                    &db,
                    &user,
                    &draft,
                    &all("districts"),
                    &all("units"),
                    sent.values.get("unit_returns").is_some_and(|v| v == "on"),
                    chrono::Utc::now(),
                )
                .await
            }
        },
    };
    match result {
        Ok(id) => Redirect::to(&format!("/campaigns/{id}?created=1")).into_response(),
        Err(e) => {
            let keep: Vec<(&str, String)> = ["name", "opens", "closes", "kind"]
                .into_iter()
                .map(|k| (k, sent.values.get(k).cloned().unwrap_or_default()))
                .collect();
            back_with_error("/campaigns/new", &e, &keep)
        }
    }
}

/// `POST /api/plan_verification`: send someone on site.
pub async fn plan_verification(
    Extension(db): Extension<Db>,
    user: Option<Extension<SessionUser>>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let one = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let items: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "items")
        .map(|(_, v)| v.clone())
        .collect();
    let campaign = one("campaign");
    let back = if campaign.is_empty() {
        "/campaigns".to_string()
    } else {
        format!("/campaigns/{}", urlencode(&campaign))
    };
    let result = match user {
        None => Err(AppError::NotSignedIn),
        Some(Extension(user)) => {
            service::plan_verification(
                &db,
                &user,
                Some(campaign.as_str()),
                &one("unit"),
                &items,
                &one("verifier"),
                &one("planned_on"),
                chrono::Utc::now(),
            )
            .await
        }
    };
    match result {
        Ok(_) => Redirect::to(&format!("{back}?planned=1#verifications")).into_response(),
        Err(e) => back_with_error(&back, &e, &[]),
    }
}

/// `GET /campaign-files/{owner}/{sha256}`: a photo or document of a return, a parallel
/// update, a verification or an item's check, if the caller may see its owner.
pub async fn download(
    Extension(db): Extension<Db>,
    Extension(settings): Extension<Settings>,
    user: Option<Extension<SessionUser>>,
    Path((owner, sha)): Path<(String, String)>,
) -> Response {
    let Some(Extension(user)) = user else {
        return (StatusCode::UNAUTHORIZED, "not signed in").into_response();
    };
    match service::file_for_download(&db, &user, &owner, &sha).await {
        Ok(f) => match crate::ledger::evidence::FileKind::parse(&f.kind) {
            Some(kind) => {
                crate::ledger::files::serve_file(&settings.files_dir, &f.sha256, kind, &f.file_name)
                    .await
            }
            None => (StatusCode::NOT_FOUND, "not found").into_response(),
        },
        Err(e) => {
            let status =
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, e.to_string()).into_response()
        }
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
