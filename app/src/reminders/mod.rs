//! Reminders at key milestones (DESIGN §4). This first part holds the ladder's pure
//! rules; the scheduler, the inbox and the channels come with the reminders issue.

pub mod ladder;
#[cfg(feature = "ssr")]
pub mod service;
