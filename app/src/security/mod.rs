//! The security log (DESIGN: "nobody can pretend otherwise"): sign-ins, failed sign-ins,
//! refusals and administrators' actions, append-only, kept 400 days, read by the
//! administrator. The server's request guard writes it (server `security.rs`); the
//! rules of what an entry says are here, pure.

pub mod api;
pub mod page;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

/// How long entries are kept (the rules ask for at least 180 days). The database refuses
/// to delete a younger entry (migration 0008).
pub const RETENTION_DAYS: i64 = 400;

/// Entries on one page of the administrator's view.
pub const PAGE_SIZE: usize = 100;

/// The longest detail kept with an entry, in characters.
pub const DETAIL_MAX: usize = 600;

/// The longest value of one form field kept in a detail, in characters.
const VALUE_MAX: usize = 80;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityKind {
    SignIn,
    SignInFailed,
    SignInLocked,
    SignOut,
    PasswordChanged,
    /// A call or page refused: not signed in, not allowed, outside the caller's scope,
    /// cross-site, or over a rate limit.
    Refused,
    /// A change made by an administrator (accounts, organisation, lists, reminder rules,
    /// channels).
    AdminAction,
}

impl SecurityKind {
    pub const ALL: [SecurityKind; 7] = [
        SecurityKind::SignIn,
        SecurityKind::SignInFailed,
        SecurityKind::SignInLocked,
        SecurityKind::SignOut,
        SecurityKind::PasswordChanged,
        SecurityKind::Refused,
        SecurityKind::AdminAction,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SecurityKind::SignIn => "sign_in",
            SecurityKind::SignInFailed => "sign_in_failed",
            SecurityKind::SignInLocked => "sign_in_locked",
            SecurityKind::SignOut => "sign_out",
            SecurityKind::PasswordChanged => "password_changed",
            SecurityKind::Refused => "refused",
            SecurityKind::AdminAction => "admin_action",
        }
    }

    pub fn parse(s: &str) -> Option<SecurityKind> {
        SecurityKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One entry as the administrator's page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityEvent {
    /// Local time (UTC+8), `YYYY-MM-DD HH:MM:SS`.
    pub at: String,
    pub kind: SecurityKind,
    pub username: Option<String>,
    pub ip: Option<String>,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub detail: String,
}

/// Whether a form field's value must never be written to the log.
fn is_secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password", "token", "secret", "key", "url", "auth", "p256dh",
    ]
    .iter()
    .any(|s| n.contains(s))
}

/// The detail of an administrator's action: the form's fields in order, secrets (passwords,
/// tokens, robot URLs that carry keys) replaced by `***`, long values cut, the whole
/// cut to [`DETAIL_MAX`] characters.
pub fn form_detail(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push_str("; ");
        }
        let shown = if is_secret(name) {
            "***".to_string()
        } else {
            cut(value.trim(), VALUE_MAX)
        };
        out.push_str(&format!("{name}={shown}"));
    }
    cut(&out, DETAIL_MAX)
}

/// `s` cut to `max` characters, with `…` when something was cut.
pub fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(max.saturating_sub(1)).collect();
        c.push('…');
        c
    }
}

/// The server function's endpoint name from its path (`/api/create_user` → `create_user`).
pub fn endpoint(path: &str) -> &str {
    path.strip_prefix("/api/").unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in SecurityKind::ALL {
            assert_eq!(SecurityKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(SecurityKind::parse("deleted"), None);
    }

    #[test]
    fn secrets_never_reach_the_log() {
        let d = form_detail(&pairs(&[
            ("user[username]", "wang"),
            ("user[password]", "Secret-pass-1"),
            ("new_password", "Another-pass-2"),
            ("channel[url]", "https://robot.example/send?key=abc"),
            ("role", "unit_head"),
        ]));
        assert_eq!(
            d,
            "user[username]=wang; user[password]=***; new_password=***; channel[url]=***; role=unit_head"
        );
        assert!(!d.contains("Secret") && !d.contains("abc"));
    }

    #[test]
    fn long_values_and_long_details_are_cut() {
        let long = "长".repeat(200);
        let d = form_detail(&pairs(&[("name", &long)]));
        assert_eq!(d.chars().count(), "name=".len() + VALUE_MAX);
        assert!(d.ends_with('…'));
        let many: Vec<(String, String)> = (0..100)
            .map(|i| (format!("f{i}"), "x".repeat(40)))
            .collect();
        assert_eq!(form_detail(&many).chars().count(), DETAIL_MAX);
        assert_eq!(cut("abc", 3), "abc");
    }

    #[test]
    fn endpoints_are_named_from_the_path() {
        assert_eq!(endpoint("/api/create_user"), "create_user");
        assert_eq!(endpoint("/files/1"), "/files/1");
    }
}
