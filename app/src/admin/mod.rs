//! The administrator's work: districts, units and user accounts.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use crate::auth::Role;
use serde::{Deserialize, Serialize};

/// A user as the administrator's list shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The unit, district or partner department the user is scoped to, by name.
    pub scope_name: Option<String>,
    pub phone: Option<String>,
    pub locked: bool,
    /// The administrator disabled the account: no sign-in, no session.
    pub disabled: bool,
}

/// The administrator's form for a new account, as posted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub phone: String,
    pub password: String,
    pub role: String,
    pub district: String,
    pub unit: String,
    pub partner: String,
}
