//! Reminders at key milestones (DESIGN §4): the ladder's pure rules, the scheduler
//! (server only), the inbox. Web Push and the messaging-tool channels come later.

pub mod api;
pub mod ladder;
pub mod page;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

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
