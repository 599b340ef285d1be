//! Look-back and special campaigns (DESIGN §5): the central office opens a campaign,
//! each district office (and unit, where the scope says so) fills its return on a phone,
//! offline if need be; the central office reviews it, accepts it (new problems become
//! ledger items, item statuses land in the items' history) and sends people on site.
//!
//! [`rules`] is pure and shared with the browser (a draft is checked on the phone with
//! the same code as on the server); `service` (server only) stores; `http` receives the
//! multipart submissions from forms and from the device's queue; `pages` the screens;
//! `offline` the island that keeps drafts in IndexedDB and sends them.

pub mod api;
#[cfg(feature = "ssr")]
pub mod http;
pub mod offline;
pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;

use crate::ledger::ListEntry;
use rules::{
    CampaignForm, CampaignKind, CampaignState, ReturnAnswers, ReturnSpec, ReturnState, Standing,
    Summary, Target, VerificationRecord, VerificationSpec,
};
use serde::{Deserialize, Serialize};

/// Where return and verification forms are posted (multipart; JSON answer when the
/// device's queue sends, a redirect for a plain form).
pub const RETURN_PATH: &str = "/api/campaign_return";
pub const VERIFY_PATH: &str = "/api/verification";
/// The new-campaign form and the verification plan (URL-encoded, repeated fields).
pub const CREATE_CAMPAIGN_PATH: &str = "/api/create_campaign";
pub const PLAN_VERIFICATION_PATH: &str = "/api/plan_verification";

/// The most a return or verification form may carry (photos at 10 MB each, and text).
pub const FORM_BODY_LIMIT: usize = 24 * 10 * 1024 * 1024 + 1024 * 1024;

/// A file kept with a return or a verification, with the time the photo was taken (from
/// the photo's own data where it has it, else as the phone said, else when received).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    pub input: String,
    pub sha256: String,
    pub kind: String,
    pub file_name: String,
    pub size: i64,
    pub taken_at: String,
}

/// The content of a return as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnContent {
    pub answers: ReturnAnswers,
    pub files: Vec<StoredFile>,
}

/// The content of a verification as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationContent {
    pub record: VerificationRecord,
    pub files: Vec<StoredFile>,
}

/// A line of the campaign list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignLine {
    pub id: String,
    pub name: String,
    pub kind: CampaignKind,
    pub state: CampaignState,
    pub opens: String,
    pub closes: String,
    /// The caller's own returns (district office, unit): id and standing.
    pub mine: Vec<(String, Standing)>,
}

/// An item attached to a campaign, as a return or verification shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedItem {
    pub key: String,
    pub number: String,
    pub unit: String,
    pub unit_name: String,
    pub description: String,
    pub status: String,
    pub approved_deadline: String,
}

/// One expected return in a campaign's progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressRow {
    pub return_id: String,
    pub place: String,
    pub standing: Standing,
    pub submitted_at: Option<String>,
    pub conflicts: i64,
}

/// An on-site verification, as lists show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationLine {
    pub id: String,
    pub campaign_name: String,
    pub unit_name: String,
    pub verifier_name: String,
    pub planned_on: String,
    pub recorded: bool,
    pub items: usize,
}

/// The campaign page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignView {
    pub id: String,
    pub name: String,
    pub kind: CampaignKind,
    pub state: CampaignState,
    pub opens: String,
    pub closes: String,
    pub districts: Vec<String>,
    pub units: Vec<String>,
    pub unit_returns: bool,
    pub form: CampaignForm,
    pub items: Vec<AttachedItem>,
    pub progress: Vec<ProgressRow>,
    pub summaries: Vec<Summary>,
    /// Each target with the sum reported in submitted and accepted returns.
    pub targets: Vec<(Target, i64)>,
    pub verifications: Vec<VerificationLine>,
    /// Who may be sent on site (central and district office staff): id, name.
    pub verifiers: Vec<(String, String)>,
    /// The caller is the central office (opens, closes, reviews, sends on site).
    pub manage: bool,
    pub today: String,
}

/// A parallel submission waiting for the reviewer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictView {
    pub id: String,
    pub by_name: String,
    pub at: String,
    pub base_version: i64,
    pub newest_version: i64,
    pub content: ReturnContent,
}

/// The return page: the form for those who fill it, the review beside the ledger for
/// the central office.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReturnView {
    pub id: String,
    pub campaign_id: String,
    pub campaign_name: String,
    pub kind: CampaignKind,
    pub campaign_state: CampaignState,
    pub place: String,
    pub state: ReturnState,
    pub standing: Standing,
    pub version: i64,
    pub closes: String,
    pub comments: Option<String>,
    pub submitted_at: Option<String>,
    pub editable: bool,
    pub reviewable: bool,
    pub spec: ReturnSpec,
    pub items: Vec<AttachedItem>,
    pub content: ReturnContent,
    pub units: Vec<(String, String)>,
    pub categories: Vec<ListEntry>,
    pub conflicts: Vec<ConflictView>,
    pub registered: Vec<String>,
}

/// The verification page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationView {
    pub id: String,
    pub campaign: Option<(String, String)>,
    pub unit_name: String,
    pub verifier_name: String,
    pub planned_on: String,
    pub recorded: bool,
    pub version: i64,
    pub editable: bool,
    pub spec: VerificationSpec,
    pub items: Vec<AttachedItem>,
    pub content: VerificationContent,
    pub units: Vec<(String, String)>,
    pub categories: Vec<ListEntry>,
    pub registered: Vec<String>,
}

/// A check left on a ledger item by a return or a verification (the item page shows
/// them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemCheck {
    pub id: String,
    pub kind: String,
    pub outcome: String,
    pub note: String,
    pub campaign_name: String,
    pub by_name: String,
    pub on: String,
    pub files: Vec<StoredFile>,
}

/// What became of a submission: the answer the device's queue gets (and keeps).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stored as a draft on the server.
    Saved,
    /// Submitted for review (a verification: recorded).
    Submitted,
    /// Based on an older version: kept and flagged for the reviewer, nothing overwritten.
    Conflict,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Saved => "saved",
            Outcome::Submitted => "submitted",
            Outcome::Conflict => "conflict",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Saved, Outcome::Submitted, Outcome::Conflict]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// The download path of a file kept with a return (`r`), a verification (`v`) or an
/// item's check (`c`).
pub fn file_path(owner_kind: char, owner: &str, sha256: &str) -> String {
    format!("/campaign-files/{owner_kind}-{owner}/{sha256}")
}
