//! Who is calling, and what they may see: roles, scopes, sign-in and sessions.

pub mod api;
pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

/// The roles of DESIGN §2. Each role implies the kind of scope its users have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 市委编办监督检查处: the whole ledger.
    CentralOffice,
    /// 业务处室 ("谁审批、谁负责"): follow-up checks on approvals they granted.
    BusinessDivision,
    /// 市(区)编办: all units of one district.
    DistrictOffice,
    /// 单位主要负责人: first responsibility for the unit's items.
    UnitHead,
    /// 联络员: the unit's contact who does the paperwork.
    UnitHandler,
    /// 巡察办、组织部、人社局: what is shared with the department.
    Partner,
    /// Districts, units, users, roles, reminder rules.
    Administrator,
}

/// The kind of scope a role's users are given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Everything,
    District,
    Unit,
    Partner,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::CentralOffice,
        Role::BusinessDivision,
        Role::DistrictOffice,
        Role::UnitHead,
        Role::UnitHandler,
        Role::Partner,
        Role::Administrator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::CentralOffice => "central_office",
            Role::BusinessDivision => "business_division",
            Role::DistrictOffice => "district_office",
            Role::UnitHead => "unit_head",
            Role::UnitHandler => "unit_handler",
            Role::Partner => "partner",
            Role::Administrator => "administrator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::CentralOffice | Role::BusinessDivision | Role::Administrator => {
                ScopeKind::Everything
            }
            Role::DistrictOffice => ScopeKind::District,
            Role::UnitHead | Role::UnitHandler => ScopeKind::Unit,
            Role::Partner => ScopeKind::Partner,
        }
    }
}

/// The partner departments that co-sign acceptance and receive notifications (通报).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerDept {
    /// 巡察办
    Inspection,
    /// 组织部
    Organisation,
    /// 人社局
    HumanResources,
}

impl PartnerDept {
    pub const ALL: [PartnerDept; 3] = [
        PartnerDept::Inspection,
        PartnerDept::Organisation,
        PartnerDept::HumanResources,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PartnerDept::Inspection => "inspection",
            PartnerDept::Organisation => "organisation",
            PartnerDept::HumanResources => "human_resources",
        }
    }

    pub fn parse(s: &str) -> Option<PartnerDept> {
        PartnerDept::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// What a signed-in user may see. Names travel with ids so pages need no extra lookup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    Everything,
    District {
        id: String,
        name: String,
    },
    Unit {
        id: String,
        name: String,
        district_id: String,
        district_name: String,
    },
    Partner(PartnerDept),
}

/// The signed-in user as every server function and page sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: Scope,
}

/// The user of the request being rendered or served, if signed in.
///
/// The session middleware of the server resolves the cookie once per request and puts
/// the user into the request's extensions; this reads it back.
#[cfg(feature = "ssr")]
pub fn current_user() -> Option<SessionUser> {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<SessionUser>().cloned())
}

/// The caller's address as the server sees it through its trusted proxies, put into
/// the request by the server's guard: what sign-in guesses are counted against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub String);

/// The address of the request being served ("" when the server did not say).
#[cfg(feature = "ssr")]
pub fn client_address() -> String {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ClientAddress>().cloned())
        .map(|a| a.0)
        .unwrap_or_default()
}

/// Put into the request by the session middleware when an administrator set the user's
/// password and the user has not yet chosen their own.
#[derive(Clone, Copy, Debug)]
pub struct PasswordChangeDue;

/// Whether the user of this request must choose a password before anything else.
#[cfg(feature = "ssr")]
pub fn password_change_due() -> bool {
    leptos::prelude::use_context::<http::request::Parts>()
        .is_some_and(|parts| parts.extensions.get::<PasswordChangeDue>().is_some())
}

#[cfg(not(feature = "ssr"))]
pub fn password_change_due() -> bool {
    false
}

/// In the browser there is no request: pages are rendered on the server (islands).
#[cfg(not(feature = "ssr"))]
pub fn current_user() -> Option<SessionUser> {
    None
}

/// The guard every server function calls first.
#[cfg(feature = "ssr")]
pub fn require_user() -> Result<SessionUser, crate::AppError> {
    current_user().ok_or_else(|| crate::web::refuse(crate::AppError::NotSignedIn))
}

/// Like [`require_user`], and the user's role must be one of `roles`.
#[cfg(feature = "ssr")]
pub fn require_role(roles: &[Role]) -> Result<SessionUser, crate::AppError> {
    let user = require_user()?;
    if roles.contains(&user.role) {
        Ok(user)
    } else {
        Err(crate::web::refuse(crate::AppError::Forbidden))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_partners_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        for p in PartnerDept::ALL {
            assert_eq!(PartnerDept::parse(p.as_str()), Some(p));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn each_role_has_the_scope_design_gives_it() {
        assert_eq!(Role::UnitHead.scope_kind(), ScopeKind::Unit);
        assert_eq!(Role::UnitHandler.scope_kind(), ScopeKind::Unit);
        assert_eq!(Role::DistrictOffice.scope_kind(), ScopeKind::District);
        assert_eq!(Role::Partner.scope_kind(), ScopeKind::Partner);
        assert_eq!(Role::CentralOffice.scope_kind(), ScopeKind::Everything);
    }
}
