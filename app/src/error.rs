//! The one application error type.
//!
//! User-facing kinds carry what a person needs to read a clear message in their language;
//! `Internal` is opaque: its cause is logged on the server and never sent to the browser.
//! Plain HTML forms (which work with JavaScript off) get the error back as query
//! parameters on the page they came from: see [`AppError::to_query`] and
//! [`AppError::from_query`].

use leptos::server_fn::codec::JsonEncoding;
use serde::{Deserialize, Serialize};

/// A form field a validation message is about; its label is translated in the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Username,
    Password,
    DisplayName,
    Phone,
    Role,
    District,
    Unit,
    Partner,
    Name,
    Code,
    NewPassword,
    User,
    Item,
    Source,
    Category,
    Nature,
    Description,
    LegalBasis,
    Quantity,
    FoundOn,
    FoundIn,
    Deadline,
    SupervisingOffice,
    HeadName,
    HandlerName,
    HandlerPhone,
    Reason,
    Measures,
    Due,
    Owner,
    Digest,
    NextReview,
    Text,
    Remaining,
    Files,
    Opinion,
    CoSigners,
    Dept,
    RecurrenceOf,
    Extension,
    NewDeadline,
    Note,
    NextSteps,
    OffsetDays,
    RepeatDays,
    Recipients,
    ChannelKind,
    ChannelName,
    ChannelUrl,
    ChannelTemplate,
    QuietHours,
    PushSubscription,
    CurrentPassword,
    ConfirmPassword,
}

impl Field {
    pub const ALL: [Field; 54] = [
        Field::Username,
        Field::Password,
        Field::DisplayName,
        Field::Phone,
        Field::Role,
        Field::District,
        Field::Unit,
        Field::Partner,
        Field::Name,
        Field::Code,
        Field::NewPassword,
        Field::User,
        Field::Item,
        Field::Source,
        Field::Category,
        Field::Nature,
        Field::Description,
        Field::LegalBasis,
        Field::Quantity,
        Field::FoundOn,
        Field::FoundIn,
        Field::Deadline,
        Field::SupervisingOffice,
        Field::HeadName,
        Field::HandlerName,
        Field::HandlerPhone,
        Field::Reason,
        Field::Measures,
        Field::Due,
        Field::Owner,
        Field::Digest,
        Field::NextReview,
        Field::Text,
        Field::Remaining,
        Field::Files,
        Field::Opinion,
        Field::CoSigners,
        Field::Dept,
        Field::RecurrenceOf,
        Field::Extension,
        Field::NewDeadline,
        Field::Note,
        Field::NextSteps,
        Field::OffsetDays,
        Field::RepeatDays,
        Field::Recipients,
        Field::ChannelKind,
        Field::ChannelName,
        Field::ChannelUrl,
        Field::ChannelTemplate,
        Field::QuietHours,
        Field::PushSubscription,
        Field::CurrentPassword,
        Field::ConfirmPassword,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Username => "username",
            Field::Password => "password",
            Field::DisplayName => "display_name",
            Field::Phone => "phone",
            Field::Role => "role",
            Field::District => "district",
            Field::Unit => "unit",
            Field::Partner => "partner",
            Field::Name => "name",
            Field::Code => "code",
            Field::NewPassword => "new_password",
            Field::User => "user",
            Field::Item => "item",
            Field::Source => "source",
            Field::Category => "category",
            Field::Nature => "nature",
            Field::Description => "description",
            Field::LegalBasis => "legal_basis",
            Field::Quantity => "quantity",
            Field::FoundOn => "found_on",
            Field::FoundIn => "found_in",
            Field::Deadline => "deadline",
            Field::SupervisingOffice => "supervising_office",
            Field::HeadName => "head_name",
            Field::HandlerName => "handler_name",
            Field::HandlerPhone => "handler_phone",
            Field::Reason => "reason",
            Field::Measures => "measures",
            Field::Due => "due",
            Field::Owner => "owner",
            Field::Digest => "digest",
            Field::NextReview => "next_review",
            Field::Text => "text",
            Field::Remaining => "remaining",
            Field::Files => "files",
            Field::Opinion => "opinion",
            Field::CoSigners => "co_signers",
            Field::Dept => "dept",
            Field::RecurrenceOf => "recurrence_of",
            Field::Extension => "extension",
            Field::NewDeadline => "new_deadline",
            Field::Note => "note",
            Field::NextSteps => "next_steps",
            Field::OffsetDays => "offset_days",
            Field::RepeatDays => "repeat_days",
            Field::Recipients => "recipients",
            Field::ChannelKind => "channel_kind",
            Field::ChannelName => "channel_name",
            Field::ChannelUrl => "channel_url",
            Field::ChannelTemplate => "channel_template",
            Field::QuietHours => "quiet_hours",
            Field::PushSubscription => "push_subscription",
            Field::CurrentPassword => "current_password",
            Field::ConfirmPassword => "confirm_password",
        }
    }

    pub fn parse(s: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// What is wrong with a field's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    Required,
    TooLong {
        max: u32,
    },
    TooShort {
        min: u32,
    },
    Invalid,
    Taken,
    /// A date that must come after the current one.
    NotLater,
    /// An uploaded file bigger than the limit.
    FileTooLarge {
        max_mb: u32,
    },
    /// An uploaded file of a kind not accepted (judged from its content).
    FileType,
    /// The person's evidence of the day has reached its quota.
    QuotaUsed {
        max_mb: u32,
    },
    /// A value that does not match what it is checked against (a current password).
    Wrong,
    /// Two entries that should be the same are not (a new password typed twice).
    Mismatch,
}

/// A problem with one input of a many-input form: the input's name and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputProblem {
    pub input: String,
    pub problem: Problem,
}

impl InputProblem {
    pub fn new(input: impl Into<String>, problem: Problem) -> Self {
        InputProblem {
            input: input.into(),
            problem,
        }
    }
}

impl Problem {
    /// The problem's name, without its limit (`too_long`, `required`, …).
    pub fn code(self) -> &'static str {
        match self {
            Problem::Required => "required",
            Problem::TooLong { .. } => "too_long",
            Problem::TooShort { .. } => "too_short",
            Problem::Invalid => "invalid",
            Problem::Taken => "taken",
            Problem::NotLater => "not_later",
            Problem::FileTooLarge { .. } => "file_too_large",
            Problem::FileType => "file_type",
            Problem::QuotaUsed { .. } => "quota_used",
            Problem::Wrong => "wrong",
            Problem::Mismatch => "mismatch",
        }
    }
}

/// Encode problems for a redirect (`status-x:required,answer-q1:invalid`).
pub fn encode_problems(problems: &[InputProblem]) -> String {
    problems
        .iter()
        .map(|p| {
            let code = p.problem.code();
            match p.problem {
                Problem::TooLong { max: n }
                | Problem::TooShort { min: n }
                | Problem::FileTooLarge { max_mb: n }
                | Problem::QuotaUsed { max_mb: n } => format!("{}:{code}.{n}", p.input),
                _ => format!("{}:{code}", p.input),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Decode what [`encode_problems`] wrote; only input names made of letters, digits,
/// `-` and `_` survive, and unknown problems are dropped.
pub fn decode_problems(s: &str) -> Vec<InputProblem> {
    s.split(',')
        .filter_map(|part| part.split_once(':'))
        .filter(|(input, _)| {
            !input.is_empty()
                && input.len() <= 80
                && input
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .filter_map(|(input, code)| {
            let (code, n) = code.split_once('.').unwrap_or((code, ""));
            let n = || n.parse::<u32>().ok();
            let p = match code {
                "required" => Problem::Required,
                "not_later" => Problem::NotLater,
                "too_long" => Problem::TooLong { max: n()? },
                "too_short" => Problem::TooShort { min: n()? },
                "file_too_large" => Problem::FileTooLarge { max_mb: n()? },
                "file_type" => Problem::FileType,
                "quota_used" => Problem::QuotaUsed { max_mb: n()? },
                "wrong" => Problem::Wrong,
                "mismatch" => Problem::Mismatch,
                "taken" => Problem::Taken,
                "invalid" => Problem::Invalid,
                _ => return None,
            };
            Some(InputProblem::new(input, p))
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("not signed in")]
    NotSignedIn,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// Unknown user or wrong password: deliberately the same message for both.
    #[error("wrong username or password")]
    BadCredentials,
    #[error("account locked for {minutes} more minutes")]
    AccountLocked { minutes: i64 },
    /// The administrator disabled the account; said only to someone with its password.
    #[error("account disabled")]
    AccountDisabled,
    #[error("invalid {field:?}: {problem:?}")]
    Validation { field: Field, problem: Problem },
    /// The step is not possible in the item's present state (it may have moved on
    /// while the page was open).
    #[error("not possible in this state")]
    WrongState,
    #[error("rate limited")]
    RateLimited,
    /// A request the server could not decode (malformed form or body).
    #[error("bad request")]
    BadRequest,
    /// A form with many inputs (a campaign return, a verification) and what is wrong
    /// with each input, by the input's name.
    #[error("{} inputs to correct", .0.len())]
    Form(Vec<InputProblem>),
    /// The database cannot be reached (a SurrealDB server that is down or cut off);
    /// the server reconnects by itself.
    #[error("database unavailable")]
    Unavailable,
    /// Anything else. The cause was logged where it happened.
    #[error("internal error")]
    Internal,
}

impl AppError {
    pub fn invalid(field: Field, problem: Problem) -> Self {
        AppError::Validation { field, problem }
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> u16 {
        match self {
            AppError::NotSignedIn => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::BadCredentials | AppError::AccountLocked { .. } => 401,
            AppError::AccountDisabled => 403,
            AppError::Validation { .. } | AppError::BadRequest | AppError::Form(_) => 400,
            AppError::WrongState => 409,
            AppError::RateLimited => 429,
            AppError::Unavailable => 503,
            AppError::Internal => 500,
        }
    }

    /// Log an internal cause and return the opaque error the browser may see.
    #[cfg(feature = "ssr")]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        AppError::Internal
    }

    /// Encode as query parameters, for the redirect after a plain form post.
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let kind = |k: &str| ("error", k.to_string());
        match self {
            AppError::NotSignedIn => vec![kind("not_signed_in")],
            AppError::Forbidden => vec![kind("forbidden")],
            AppError::NotFound => vec![kind("not_found")],
            AppError::BadCredentials => vec![kind("bad_credentials")],
            AppError::AccountLocked { minutes } => {
                vec![kind("locked"), ("minutes", minutes.to_string())]
            }
            AppError::AccountDisabled => vec![kind("disabled")],
            AppError::Validation { field, problem } => {
                let mut q = vec![kind("invalid"), ("field", field.as_str().to_string())];
                match problem {
                    Problem::Required => q.push(("problem", "required".into())),
                    Problem::TooLong { max } => {
                        q.push(("problem", "too_long".into()));
                        q.push(("limit", max.to_string()));
                    }
                    Problem::TooShort { min } => {
                        q.push(("problem", "too_short".into()));
                        q.push(("limit", min.to_string()));
                    }
                    Problem::Invalid => q.push(("problem", "invalid".into())),
                    Problem::Taken => q.push(("problem", "taken".into())),
                    Problem::NotLater => q.push(("problem", "not_later".into())),
                    Problem::FileTooLarge { max_mb } => {
                        q.push(("problem", "file_too_large".into()));
                        q.push(("limit", max_mb.to_string()));
                    }
                    Problem::FileType => q.push(("problem", "file_type".into())),
                    Problem::QuotaUsed { max_mb } => {
                        q.push(("problem", "quota_used".into()));
                        q.push(("limit", max_mb.to_string()));
                    }
                    Problem::Wrong => q.push(("problem", "wrong".into())),
                    Problem::Mismatch => q.push(("problem", "mismatch".into())),
                }
                q
            }
            AppError::WrongState => vec![kind("wrong_state")],
            AppError::RateLimited => vec![kind("rate_limited")],
            AppError::BadRequest => vec![kind("bad_request")],
            AppError::Form(problems) => vec![kind("form"), ("problems", encode_problems(problems))],
            AppError::Unavailable => vec![kind("unavailable")],
            AppError::Internal => vec![kind("internal")],
        }
    }

    /// Decode what [`AppError::to_query`] wrote. Unknown or tampered values give `None`
    /// (the page then simply shows no message) rather than a wrong one.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Option<AppError> {
        let limit = || get("limit").and_then(|v| v.parse::<u32>().ok());
        Some(match get("error")?.as_str() {
            "not_signed_in" => AppError::NotSignedIn,
            "forbidden" => AppError::Forbidden,
            "not_found" => AppError::NotFound,
            "bad_credentials" => AppError::BadCredentials,
            "locked" => AppError::AccountLocked {
                minutes: get("minutes")?.parse().ok()?,
            },
            "disabled" => AppError::AccountDisabled,
            "invalid" => {
                let field = Field::parse(&get("field")?)?;
                let problem = match get("problem")?.as_str() {
                    "required" => Problem::Required,
                    "too_long" => Problem::TooLong { max: limit()? },
                    "too_short" => Problem::TooShort { min: limit()? },
                    "invalid" => Problem::Invalid,
                    "taken" => Problem::Taken,
                    "not_later" => Problem::NotLater,
                    "file_too_large" => Problem::FileTooLarge { max_mb: limit()? },
                    "file_type" => Problem::FileType,
                    "quota_used" => Problem::QuotaUsed { max_mb: limit()? },
                    "wrong" => Problem::Wrong,
                    "mismatch" => Problem::Mismatch,
                    _ => return None,
                };
                AppError::Validation { field, problem }
            }
            "wrong_state" => AppError::WrongState,
            "rate_limited" => AppError::RateLimited,
            "bad_request" => AppError::BadRequest,
            "form" => {
                let problems = decode_problems(&get("problems")?);
                if problems.is_empty() {
                    return None;
                }
                AppError::Form(problems)
            }
            "unavailable" => AppError::Unavailable,
            "internal" => AppError::Internal,
            _ => return None,
        })
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Args(_) | E::Deserialization(_) | E::MissingArg(_) => AppError::BadRequest,
            _ => AppError::Internal,
        }
    }
}

impl From<crate::ledger::lifecycle::Refusal> for AppError {
    fn from(r: crate::ledger::lifecycle::Refusal) -> Self {
        match r {
            crate::ledger::lifecycle::Refusal::WrongState => AppError::WrongState,
            crate::ledger::lifecycle::Refusal::NotAllowed => AppError::Forbidden,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<surrealdb::Error> for AppError {
    fn from(e: surrealdb::Error) -> Self {
        AppError::internal(format!("database: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn round_trip(e: AppError) -> Option<AppError> {
        let q: HashMap<&str, String> = e.to_query().into_iter().collect();
        AppError::from_query(|k| q.get(k).cloned())
    }

    #[test]
    fn every_user_facing_error_survives_the_form_redirect() {
        let all = [
            AppError::NotSignedIn,
            AppError::Forbidden,
            AppError::NotFound,
            AppError::BadCredentials,
            AppError::AccountLocked { minutes: 15 },
            AppError::AccountDisabled,
            AppError::invalid(Field::Username, Problem::Required),
            AppError::invalid(Field::DisplayName, Problem::TooLong { max: 40 }),
            AppError::invalid(Field::Password, Problem::TooShort { min: 8 }),
            AppError::invalid(Field::Phone, Problem::Invalid),
            AppError::invalid(Field::Code, Problem::Taken),
            AppError::invalid(Field::NewDeadline, Problem::NotLater),
            AppError::invalid(Field::Files, Problem::FileTooLarge { max_mb: 10 }),
            AppError::invalid(Field::Files, Problem::FileType),
            AppError::invalid(Field::Files, Problem::QuotaUsed { max_mb: 500 }),
            AppError::WrongState,
            AppError::RateLimited,
            AppError::BadRequest,
            AppError::Form(vec![
                InputProblem::new("status-a1", Problem::Required),
                InputProblem::new("new-0-description", Problem::TooLong { max: 2000 }),
            ]),
            AppError::Unavailable,
            AppError::Internal,
        ];
        for e in all {
            assert_eq!(round_trip(e.clone()), Some(e));
        }
    }

    #[test]
    fn tampered_query_shows_no_message_rather_than_a_wrong_one() {
        let q: HashMap<&str, String> = [("error", "invalid".to_string()), ("field", "nope".into())]
            .into_iter()
            .collect();
        assert_eq!(AppError::from_query(|k| q.get(k).cloned()), None);
        assert_eq!(AppError::from_query(|_| Some("locked".into())), None);
    }

    #[test]
    fn statuses_follow_http_meaning() {
        assert_eq!(AppError::Forbidden.status(), 403);
        assert_eq!(AppError::NotFound.status(), 404);
        assert_eq!(AppError::Internal.status(), 500);
        assert_eq!(
            AppError::invalid(Field::Name, Problem::Required).status(),
            400
        );
    }
}
