//! Joint acceptance (会同验收): which departments co-sign a closure, and when the item
//! may close. Pure rules.

use crate::auth::{PartnerDept, Role, SessionUser};
use serde::{Deserialize, Serialize};

/// A department that co-signs the closure of an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoSigner {
    /// 市委编办 (the central office itself).
    Central,
    Partner(PartnerDept),
}

impl CoSigner {
    pub const ALL: [CoSigner; 4] = [
        CoSigner::Central,
        CoSigner::Partner(PartnerDept::Inspection),
        CoSigner::Partner(PartnerDept::Organisation),
        CoSigner::Partner(PartnerDept::HumanResources),
    ];

    /// By default: the central office with the inspection office and the organisation
    /// department (会同巡察、组织等部门).
    pub const DEFAULT: [CoSigner; 3] = [
        CoSigner::Central,
        CoSigner::Partner(PartnerDept::Inspection),
        CoSigner::Partner(PartnerDept::Organisation),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CoSigner::Central => "central",
            CoSigner::Partner(p) => p.as_str(),
        }
    }

    pub fn parse(s: &str) -> Option<CoSigner> {
        CoSigner::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The department a user signs for, if any.
    pub fn of(user: &SessionUser) -> Option<CoSigner> {
        match (&user.role, &user.scope) {
            (Role::CentralOffice, _) => Some(CoSigner::Central),
            (Role::Partner, crate::auth::Scope::Partner(p)) => Some(CoSigner::Partner(*p)),
            _ => None,
        }
    }
}

/// Where a closure request stands: the required co-signers and who has passed so far.
pub struct Round<'a> {
    pub required: &'a [CoSigner],
    pub passed: &'a [CoSigner],
}

impl Round<'_> {
    /// `who` is required and has not decided yet.
    pub fn is_pending(&self, who: CoSigner) -> bool {
        self.required.contains(&who) && !self.passed.contains(&who)
    }

    /// Would `who` passing now be the last pass needed?
    pub fn pass_completes(&self, who: CoSigner) -> bool {
        self.required
            .iter()
            .all(|c| *c == who || self.passed.contains(c))
    }

    pub fn pending(&self) -> Vec<CoSigner> {
        self.required
            .iter()
            .copied()
            .filter(|c| !self.passed.contains(c))
            .collect()
    }
}

/// The co-signers a closure request names: the chosen ones, in a fixed order, with
/// the central office always among them (it leads the acceptance).
pub fn required_co_signers(chosen: &[CoSigner]) -> Vec<CoSigner> {
    CoSigner::ALL
        .into_iter()
        .filter(|c| *c == CoSigner::Central || chosen.contains(c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSPECTION: CoSigner = CoSigner::Partner(PartnerDept::Inspection);
    const ORGANISATION: CoSigner = CoSigner::Partner(PartnerDept::Organisation);

    #[test]
    fn the_item_closes_only_on_the_last_pass() {
        let required = CoSigner::DEFAULT;
        let round = Round {
            required: &required,
            passed: &[],
        };
        assert!(!round.pass_completes(CoSigner::Central));
        let passed = [CoSigner::Central, INSPECTION];
        let round = Round {
            required: &required,
            passed: &passed,
        };
        assert!(round.pass_completes(ORGANISATION));
        assert_eq!(round.pending(), vec![ORGANISATION]);
        assert!(!round.is_pending(INSPECTION));
        assert!(!round.is_pending(CoSigner::Partner(PartnerDept::HumanResources)));
    }

    #[test]
    fn the_central_office_always_co_signs() {
        assert_eq!(
            required_co_signers(&[INSPECTION]),
            vec![CoSigner::Central, INSPECTION]
        );
        assert_eq!(required_co_signers(&[]), vec![CoSigner::Central]);
    }

    #[test]
    fn co_signer_names_round_trip() {
        for c in CoSigner::ALL {
            assert_eq!(CoSigner::parse(c.as_str()), Some(c));
        }
        assert_eq!(CoSigner::parse("unit"), None);
    }
}
