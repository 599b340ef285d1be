//! Reminders at key milestones (DESIGN §4): the ladder's pure rules, the scheduler
//! (server only), the inbox, and the channels beyond it: Web Push, WeChat Work and
//! DingTalk group robots, an SMS gateway, each delivery logged.

pub mod api;
pub mod channels_page;
#[cfg(feature = "ssr")]
pub mod dispatch;
pub mod ladder;
#[cfg(feature = "ssr")]
pub mod messages;
pub mod page;
#[cfg(feature = "ssr")]
pub mod push;
#[cfg(feature = "ssr")]
pub mod push_services;
pub mod push_settings;
pub mod rules_page;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};
#[cfg(feature = "ssr")]
use surrealdb::types::SurrealValue;

/// The inbox tab's badge counts unread reminders up to this many; beyond, it says "99+".
/// Counting stops there, so a page costs the same for the central office with tens of
/// thousands unread as for a unit head with three.
pub const BADGE_COUNTS_TO: i64 = 99;

/// The inbox tab's badge for `unread` reminders (counted up to one past
/// [`BADGE_COUNTS_TO`]): nothing when there are none.
pub fn badge(unread: i64) -> Option<String> {
    match unread {
        ..=0 => None,
        1..=BADGE_COUNTS_TO => Some(unread.to_string()),
        _ => Some(format!("{BADGE_COUNTS_TO}+")),
    }
}

/// An SMS gateway's request body by default: JSON with the number and the text.
pub const SMS_TEMPLATE_EXAMPLE: &str = r#"{"phone":"{phone}","text":"{text}"}"#;

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

/// The channel form as posted by the administrator. `scope` is empty (the whole city),
/// `district:<key>` or `unit:<key>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChannelForm {
    pub kind: String,
    pub name: String,
    pub url: String,
    pub secret: String,
    pub template: String,
    pub scope: String,
}

/// A reminder as the inbox shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxEntry {
    pub id: String,
    pub item_id: String,
    /// Where the entry leads: the item, the campaign return, or the ledger.
    pub link: String,
    pub item_number: String,
    pub unit_name: String,
    /// The ladder rule's code, e.g. `deadline_t7`.
    pub rule: String,
    /// The milestone's day (YYYY-MM-DD).
    pub day: String,
    pub read: bool,
    /// The weekly summary's figures (it is about no single item).
    pub figures: Option<Figures>,
}

/// The figures of a weekly summary, frozen when it was made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(SurrealValue))]
#[cfg_attr(feature = "ssr", surreal(crate = "surrealdb::types"))]
pub struct Figures {
    pub open: i64,
    pub overdue: i64,
    pub due_this_week: i64,
    pub closed_last_week: i64,
}

/// A reminder channel as the administrator sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelEntry {
    pub id: String,
    /// `wecom`, `dingtalk` or `sms`.
    pub kind: String,
    pub name: String,
    /// The webhook with its secret parts hidden.
    pub url_shown: String,
    pub signed: bool,
    /// The district or unit it serves; empty for the whole city.
    pub scope_name: String,
}

/// One message on one channel, for the delivery log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryEntry {
    /// `push`, `wecom`, `dingtalk` or `sms`.
    pub kind: String,
    /// Device, group or (masked) phone number.
    pub target: String,
    /// `pending`, `sent`, `failed` or `gone`.
    pub state: String,
    pub attempts: i64,
    /// The last outcome's detail (status code, the service's message).
    pub detail: String,
    /// Local time of the last attempt or of the creation.
    pub at: String,
}

/// Quiet hours and the summary time, as the administrator edits them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderSettings {
    pub quiet_from: String,
    pub quiet_until: String,
    pub summary_time: String,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        ReminderSettings {
            quiet_from: "22:00".into(),
            quiet_until: "07:30".into(),
            summary_time: "09:00".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_says_how_many_up_to_ninety_nine() {
        assert_eq!(badge(0), None);
        assert_eq!(badge(-1), None);
        assert_eq!(badge(1).as_deref(), Some("1"));
        assert_eq!(badge(99).as_deref(), Some("99"));
        assert_eq!(badge(100).as_deref(), Some("99+"));
        assert_eq!(badge(25_712).as_deref(), Some("99+"));
    }
}
