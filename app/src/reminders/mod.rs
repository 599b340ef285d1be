//! Reminders at key milestones (DESIGN §4): the ladder's pure rules, the scheduler
//! (server only), the inbox. Web Push and the messaging-tool channels come later.

pub mod api;
pub mod ladder;
pub mod page;
pub mod rules_page;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

/// A rung of the ladder as the administrator sees and edits it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LadderRung {
    pub rule: ladder::Rule,
    pub enabled: bool,
}

/// The ladder form of one rung, as posted: checkboxes are present ("1") or absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RungForm {
    pub code: String,
    pub offset_days: String,
    pub repeat_days: String,
    pub enabled: String,
    pub unit_head: String,
    pub unit_handler: String,
    pub measure_owner: String,
    pub district_office: String,
    pub central_office: String,
    pub co_signers: String,
}

impl RungForm {
    /// The recipients ticked, by their stored names.
    pub fn recipients(&self) -> Vec<String> {
        [
            ("unit_head", &self.unit_head),
            ("unit_handler", &self.unit_handler),
            ("measure_owner", &self.measure_owner),
            ("district_office", &self.district_office),
            ("central_office", &self.central_office),
            ("co_signers", &self.co_signers),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, _)| k.to_string())
        .collect()
    }
}

/// A reminder as the inbox shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxEntry {
    pub id: String,
    pub item_id: String,
    pub item_number: String,
    pub unit_name: String,
    /// The ladder rule's code, e.g. `deadline_t7`.
    pub rule: String,
    /// The milestone's day (YYYY-MM-DD).
    pub day: String,
    pub read: bool,
}
