//! The rectification ledger (问题台账): the item and everything that happens to it.
//!
//! Pure rules: [`lifecycle`] (who may take which step), [`calendar`] (deadlines in
//! Shanghai days, reverse scheduling), [`acceptance`] (joint acceptance), [`evidence`]
//! (file kinds) and [`chain`] (the hash-chained history). The service (server only)
//! stores items; `api` holds the server functions; `pages` the screens.

pub mod acceptance;
pub mod actions;
pub mod api;
pub mod calendar;
#[cfg(any(feature = "ssr", feature = "rules"))]
pub mod chain;
pub mod evidence;
#[cfg(feature = "ssr")]
pub mod files;
#[cfg(feature = "ssr")]
pub mod incoming;
pub mod lifecycle;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod quota;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;

use acceptance::CoSigner;
use calendar::Urgency;
use evidence::FileKind;
use lifecycle::{Nature, Status};
use serde::{Deserialize, Serialize};

/// An entry of an editable list (categories, sources).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntry {
    pub code: String,
    pub name: String,
    pub name_en: String,
}

/// What the viewer can do on an item now. Computed on the server from the rules; the
/// server checks again when the step is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Issue,
    Acknowledge,
    SubmitPlan,
    ApprovePlan,
    ReturnPlan,
    ReportProgress,
    RequestExtension,
    DecideExtension,
    RequestClosure,
    CoSign,
    Withdraw,
    Notify,
    Comment,
    /// 问责: the central office records the accountability decided for an item.
    RecordAccountability,
    RegisterRecurrence,
}

/// A line of a list of items (the unit's home, the central ledger).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemSummary {
    pub id: String,
    pub number: String,
    pub unit_name: String,
    pub district_name: String,
    pub category: ListEntry,
    pub source: ListEntry,
    pub nature: Nature,
    pub status: Status,
    pub description: String,
    pub head_name: String,
    pub measure_owners: Vec<String>,
    pub original_deadline: String,
    pub approved_deadline: String,
    /// Open items only: days left or overdue against the approved deadline.
    pub urgency: Option<Urgency>,
    pub closed_on_time: Option<bool>,
    /// The first thing the viewer can do, if anything.
    pub next_action: Option<Action>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasureView {
    pub id: String,
    pub what: String,
    pub due: String,
    pub owner: String,
    pub done_on: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestStepView {
    pub period: String,
    pub target: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentView {
    pub id: String,
    pub kind: FileKind,
    pub file_name: String,
    pub size: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressView {
    pub at: String,
    pub author_name: String,
    pub text: String,
    pub remaining: Option<i64>,
    pub reasons: String,
    pub next_steps: String,
    pub attachments: Vec<AttachmentView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionView {
    pub id: String,
    pub reason: String,
    pub new_deadline: String,
    pub at: String,
    /// None while pending; Some(true) approved, Some(false) refused.
    pub approved: Option<bool>,
    pub opinion: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoSignView {
    pub co_signer: CoSigner,
    /// None while pending.
    pub passed: Option<bool>,
    pub opinion: String,
    pub by_name: String,
    pub at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    pub dept: crate::auth::PartnerDept,
    pub note: String,
    pub sent_at: String,
    pub read_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub seq: i64,
    pub at: String,
    pub actor_name: String,
    pub action: String,
    /// The changed values after the event, as `key: value` pairs.
    pub detail: Vec<(String, String)>,
}

/// A reminder delivered about the item (提醒记录): the proof that someone was prompted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderSent {
    pub rule: String,
    pub day: String,
    pub recipient_name: String,
    pub sent_at: String,
    pub read: bool,
}

/// Everything the item page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemDetail {
    pub summary: ItemSummary,
    pub legal_basis: String,
    pub quantity_baseline: Option<i64>,
    pub quantity_remaining: Option<i64>,
    pub found_on: String,
    pub found_in: String,
    pub supervising_office: String,
    pub handler_name: String,
    pub handler_phone: String,
    pub registered_at: String,
    pub plan_returned_reason: Option<String>,
    pub next_review: Option<String>,
    pub closure_note: Option<String>,
    pub closed_on: Option<String>,
    pub withdrawn_reason: Option<String>,
    /// 问责 record, if any.
    pub accountability: Option<String>,
    pub recurrence_of: Option<(String, String)>,
    pub measures: Vec<MeasureView>,
    pub digest: Vec<DigestStepView>,
    pub progress: Vec<ProgressView>,
    pub extensions: Vec<ExtensionView>,
    pub acceptance: Vec<CoSignView>,
    pub notifications: Vec<NotificationView>,
    pub timeline: Vec<TimelineEntry>,
    pub reminders: Vec<ReminderSent>,
    /// How each reminder went out on the channels beyond the inbox.
    pub deliveries: Vec<crate::reminders::DeliveryEntry>,
    /// What look-back returns and on-site visits found about the item.
    pub checks: Vec<crate::campaigns::ItemCheck>,
    pub actions: Vec<Action>,
    /// Proposed due dates for 1..=5 measures (reverse scheduling), for the plan form.
    pub proposals: Vec<Vec<String>>,
}

/// The central ledger's filters, as they come in the query string (empty = any).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemFilter {
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub nature: String,
    #[serde(default)]
    pub status: String,
    /// "1": overdue open items only.
    #[serde(default)]
    pub overdue: String,
    /// "1": closed by the original deadline; "0": closed late.
    #[serde(default)]
    pub on_time: String,
    #[serde(default)]
    pub due_from: String,
    #[serde(default)]
    pub due_to: String,
    /// Words searched in the descriptions.
    #[serde(default)]
    pub q: String,
    /// "deadline" (default), "number", "found".
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub page: String,
    /// "1": only the items the caller registered (a business division's supervision).
    #[serde(default)]
    pub mine: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemPage {
    pub items: Vec<ItemSummary>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// A new item, as the registration form sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewItem {
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub nature: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub legal_basis: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub found_on: String,
    #[serde(default)]
    pub found_in: String,
    #[serde(default)]
    pub deadline: String,
    #[serde(default)]
    pub supervising_office: String,
    #[serde(default)]
    pub head_name: String,
    #[serde(default)]
    pub handler_name: String,
    #[serde(default)]
    pub handler_phone: String,
    /// Ledger number of the closed item this one recurs.
    #[serde(default)]
    pub recurrence_of: String,
}

/// One row of the plan form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasureInput {
    #[serde(default)]
    pub what: String,
    #[serde(default)]
    pub due: String,
    #[serde(default)]
    pub owner: String,
}

/// One row of a digestion schedule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestInput {
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub target: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInput {
    #[serde(default)]
    pub measures: Vec<MeasureInput>,
    #[serde(default)]
    pub digest: Vec<DigestInput>,
    #[serde(default)]
    pub next_review: String,
}

/// A progress report's text fields (the files come alongside).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressInput {
    pub text: String,
    pub remaining: String,
    pub reasons: String,
    pub next_steps: String,
}

/// An evidence file as received (on disk while its request is handled).
#[cfg(feature = "ssr")]
pub use incoming::Incoming as Upload;
