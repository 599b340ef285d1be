//! The lifecycle of a rectification item (DESIGN §3), as pure rules: which step may be
//! taken from which state, by whom, and where it leads. The server and the UI both ask
//! here; nothing else decides.
//!
//! ```text
//! registered 登记 --issue--> issued 已交办 --acknowledge--> acknowledged 已签收
//! acknowledged --submit plan--> plan review 方案审核 --approve--> in rectification 整改中 (violation)
//!                                                \--approve--> digesting 分步消化中 (policy-caused)
//! plan review --return with reason--> acknowledged
//! in rectification | digesting --request closure, with evidence--> closure requested 申请销号
//! closure requested --every co-signer passes--> closed 已销号
//! closure requested --any co-signer returns, with opinion--> in rectification | digesting
//! any open state --withdraw, central office only, with reason--> withdrawn 撤销
//! ```
//! Overdue is derived from the approved deadline and never a state.

use crate::auth::Role;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 登记
    Registered,
    /// 已交办
    Issued,
    /// 已签收
    Acknowledged,
    /// 方案审核
    PlanReview,
    /// 整改中 (violation)
    InRectification,
    /// 分步消化中 (policy-caused)
    Digesting,
    /// 申请销号: locked while the co-signers decide.
    ClosureRequested,
    /// 已销号: never reopens; a recurrence is a new item.
    Closed,
    /// 撤销
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Registered,
        Status::Issued,
        Status::Acknowledged,
        Status::PlanReview,
        Status::InRectification,
        Status::Digesting,
        Status::ClosureRequested,
        Status::Closed,
        Status::Withdrawn,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Registered => "registered",
            Status::Issued => "issued",
            Status::Acknowledged => "acknowledged",
            Status::PlanReview => "plan_review",
            Status::InRectification => "in_rectification",
            Status::Digesting => "digesting",
            Status::ClosureRequested => "closure_requested",
            Status::Closed => "closed",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn is_open(self) -> bool {
        !matches!(self, Status::Closed | Status::Withdrawn)
    }
}

/// 违规类 or 政策类.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    /// Rectified by a plan scheduled back from the deadline.
    Violation,
    /// Digested over time by a schedule of target quantities.
    PolicyCaused,
}

impl Nature {
    pub fn as_str(self) -> &'static str {
        match self {
            Nature::Violation => "violation",
            Nature::PolicyCaused => "policy_caused",
        }
    }

    pub fn parse(s: &str) -> Option<Nature> {
        [Nature::Violation, Nature::PolicyCaused]
            .into_iter()
            .find(|n| n.as_str() == s)
    }

    /// Where an approved plan (or a returned closure) puts the item.
    fn working_status(self) -> Status {
        match self {
            Nature::Violation => Status::InRectification,
            Nature::PolicyCaused => Status::Digesting,
        }
    }
}

/// A step someone takes on an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Issue,
    Acknowledge,
    SubmitPlan,
    ApprovePlan,
    ReturnPlan,
    RequestClosure,
    /// One co-signer passes; the item closes when `all_others_passed`.
    PassAcceptance {
        all_others_passed: bool,
    },
    ReturnAcceptance,
    Withdraw,
}

/// How the caller stands to this item: the role, and whether the item is theirs to act
/// on (the unit's own item for unit roles; a required co-signer for acceptance).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    /// For unit roles: the item belongs to the caller's unit.
    pub own_unit: bool,
    /// For acceptance: the caller's department is a required co-signer that has not yet decided.
    pub pending_co_signer: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Refusal {
    /// The step does not exist from this state.
    #[error("not possible in this state")]
    WrongState,
    /// The step exists but is not this caller's to take.
    #[error("not yours to take")]
    NotAllowed,
}

fn unit_side(actor: Actor) -> bool {
    matches!(actor.role, Role::UnitHead | Role::UnitHandler) && actor.own_unit
}

fn central(actor: Actor) -> bool {
    actor.role == Role::CentralOffice
}

/// The state after `step`, or why it is refused. Pure: no clock, no database.
pub fn next_status(
    status: Status,
    nature: Nature,
    step: Step,
    actor: Actor,
) -> Result<Status, Refusal> {
    use Status as S;
    let (allowed_from, who_may, to): (&[Status], bool, Status) = match step {
        Step::Issue => (&[S::Registered], central(actor), S::Issued),
        Step::Acknowledge => (&[S::Issued], unit_side(actor), S::Acknowledged),
        Step::SubmitPlan => (&[S::Acknowledged], unit_side(actor), S::PlanReview),
        Step::ApprovePlan => (&[S::PlanReview], central(actor), nature.working_status()),
        Step::ReturnPlan => (&[S::PlanReview], central(actor), S::Acknowledged),
        Step::RequestClosure => (
            &[S::InRectification, S::Digesting],
            unit_side(actor),
            S::ClosureRequested,
        ),
        Step::PassAcceptance { all_others_passed } => (
            &[S::ClosureRequested],
            actor.pending_co_signer,
            if all_others_passed {
                S::Closed
            } else {
                S::ClosureRequested
            },
        ),
        Step::ReturnAcceptance => (
            &[S::ClosureRequested],
            actor.pending_co_signer,
            nature.working_status(),
        ),
        Step::Withdraw => (
            &[
                S::Registered,
                S::Issued,
                S::Acknowledged,
                S::PlanReview,
                S::InRectification,
                S::Digesting,
                S::ClosureRequested,
            ],
            central(actor),
            S::Withdrawn,
        ),
    };
    if !allowed_from.contains(&status) {
        return Err(Refusal::WrongState);
    }
    if !who_may {
        return Err(Refusal::NotAllowed);
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_STATUSES: [Status; 9] = [
        Status::Registered,
        Status::Issued,
        Status::Acknowledged,
        Status::PlanReview,
        Status::InRectification,
        Status::Digesting,
        Status::ClosureRequested,
        Status::Closed,
        Status::Withdrawn,
    ];

    fn actor(role: Role) -> Actor {
        Actor {
            role,
            own_unit: true,
            pending_co_signer: false,
        }
    }
    fn co_signer(role: Role) -> Actor {
        Actor {
            role,
            own_unit: false,
            pending_co_signer: true,
        }
    }
    const UNIT: Role = Role::UnitHead;
    const CENTRAL: Role = Role::CentralOffice;
    const V: Nature = Nature::Violation;
    const P: Nature = Nature::PolicyCaused;

    #[test]
    fn a_violation_walks_the_whole_way_to_closed() {
        let mut s = Status::Registered;
        for (step, who) in [
            (Step::Issue, actor(CENTRAL)),
            (Step::Acknowledge, actor(UNIT)),
            (Step::SubmitPlan, actor(Role::UnitHandler)),
            (Step::ApprovePlan, actor(CENTRAL)),
            (Step::RequestClosure, actor(UNIT)),
            (
                Step::PassAcceptance {
                    all_others_passed: false,
                },
                co_signer(CENTRAL),
            ),
            (
                Step::PassAcceptance {
                    all_others_passed: true,
                },
                co_signer(Role::Partner),
            ),
        ] {
            s = next_status(s, V, step, who).unwrap_or_else(|e| panic!("{step:?} from {s:?}: {e}"));
        }
        assert_eq!(s, Status::Closed);
    }

    #[test]
    fn an_approved_plan_sends_each_nature_its_own_way() {
        assert_eq!(
            next_status(Status::PlanReview, V, Step::ApprovePlan, actor(CENTRAL)),
            Ok(Status::InRectification)
        );
        assert_eq!(
            next_status(Status::PlanReview, P, Step::ApprovePlan, actor(CENTRAL)),
            Ok(Status::Digesting)
        );
    }

    #[test]
    fn returns_go_back_one_step() {
        assert_eq!(
            next_status(Status::PlanReview, V, Step::ReturnPlan, actor(CENTRAL)),
            Ok(Status::Acknowledged)
        );
        assert_eq!(
            next_status(
                Status::ClosureRequested,
                V,
                Step::ReturnAcceptance,
                co_signer(Role::Partner)
            ),
            Ok(Status::InRectification)
        );
        assert_eq!(
            next_status(
                Status::ClosureRequested,
                P,
                Step::ReturnAcceptance,
                co_signer(CENTRAL)
            ),
            Ok(Status::Digesting)
        );
    }

    #[test]
    fn a_closed_or_withdrawn_item_takes_no_step_at_all() {
        let steps = [
            Step::Issue,
            Step::Acknowledge,
            Step::SubmitPlan,
            Step::ApprovePlan,
            Step::ReturnPlan,
            Step::RequestClosure,
            Step::PassAcceptance {
                all_others_passed: true,
            },
            Step::ReturnAcceptance,
            Step::Withdraw,
        ];
        for s in [Status::Closed, Status::Withdrawn] {
            for step in steps {
                assert_eq!(
                    next_status(s, V, step, actor(CENTRAL)),
                    Err(Refusal::WrongState),
                    "{step:?}"
                );
                assert_eq!(
                    next_status(s, V, step, actor(UNIT)),
                    Err(Refusal::WrongState),
                    "{step:?}"
                );
            }
        }
    }

    #[test]
    fn only_the_central_office_issues_approves_returns_and_withdraws() {
        for role in Role::ALL.into_iter().filter(|r| *r != CENTRAL) {
            assert_eq!(
                next_status(Status::Registered, V, Step::Issue, actor(role)),
                Err(Refusal::NotAllowed)
            );
            assert_eq!(
                next_status(Status::PlanReview, V, Step::ApprovePlan, actor(role)),
                Err(Refusal::NotAllowed)
            );
            assert_eq!(
                next_status(Status::PlanReview, V, Step::ReturnPlan, actor(role)),
                Err(Refusal::NotAllowed)
            );
            assert_eq!(
                next_status(Status::Issued, V, Step::Withdraw, actor(role)),
                Err(Refusal::NotAllowed)
            );
        }
    }

    #[test]
    fn withdrawal_is_possible_from_every_open_state() {
        for s in ALL_STATUSES.into_iter().filter(|s| s.is_open()) {
            assert_eq!(
                next_status(s, V, Step::Withdraw, actor(CENTRAL)),
                Ok(Status::Withdrawn),
                "{s:?}"
            );
        }
    }

    #[test]
    fn only_the_items_own_unit_acknowledges_plans_and_requests_closure() {
        let other_unit = Actor {
            role: UNIT,
            own_unit: false,
            pending_co_signer: false,
        };
        assert_eq!(
            next_status(Status::Issued, V, Step::Acknowledge, other_unit),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            next_status(Status::Acknowledged, V, Step::SubmitPlan, other_unit),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            next_status(Status::Digesting, P, Step::RequestClosure, other_unit),
            Err(Refusal::NotAllowed)
        );
        for role in [
            CENTRAL,
            Role::DistrictOffice,
            Role::BusinessDivision,
            Role::Partner,
            Role::Administrator,
        ] {
            assert_eq!(
                next_status(Status::Issued, V, Step::Acknowledge, actor(role)),
                Err(Refusal::NotAllowed)
            );
        }
    }

    #[test]
    fn acceptance_belongs_to_pending_co_signers_only() {
        assert_eq!(
            next_status(
                Status::ClosureRequested,
                V,
                Step::PassAcceptance {
                    all_others_passed: true
                },
                actor(CENTRAL)
            ),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            next_status(
                Status::ClosureRequested,
                V,
                Step::ReturnAcceptance,
                actor(UNIT)
            ),
            Err(Refusal::NotAllowed)
        );
        // A closure request stays locked until the last co-signer passes.
        assert_eq!(
            next_status(
                Status::ClosureRequested,
                V,
                Step::PassAcceptance {
                    all_others_passed: false
                },
                co_signer(CENTRAL)
            ),
            Ok(Status::ClosureRequested)
        );
    }

    #[test]
    fn steps_out_of_order_are_refused_as_wrong_state() {
        assert_eq!(
            next_status(Status::Registered, V, Step::Acknowledge, actor(UNIT)),
            Err(Refusal::WrongState)
        );
        assert_eq!(
            next_status(Status::Issued, V, Step::SubmitPlan, actor(UNIT)),
            Err(Refusal::WrongState)
        );
        assert_eq!(
            next_status(Status::Acknowledged, V, Step::RequestClosure, actor(UNIT)),
            Err(Refusal::WrongState)
        );
        assert_eq!(
            next_status(
                Status::InRectification,
                V,
                Step::ApprovePlan,
                actor(CENTRAL)
            ),
            Err(Refusal::WrongState)
        );
        assert_eq!(
            next_status(
                Status::InRectification,
                V,
                Step::PassAcceptance {
                    all_others_passed: true
                },
                co_signer(CENTRAL)
            ),
            Err(Refusal::WrongState)
        );
    }

    /// Who a drawn transition belongs to.
    #[derive(Clone, Copy)]
    enum Who {
        Central,
        OwnUnit,
        PendingCoSigner,
    }

    fn qualifies(who: Who, a: Actor) -> bool {
        match who {
            Who::Central => a.role == Role::CentralOffice,
            Who::OwnUnit => matches!(a.role, Role::UnitHead | Role::UnitHandler) && a.own_unit,
            Who::PendingCoSigner => a.pending_co_signer,
        }
    }

    /// The transitions as DESIGN §3 draws them, written out independently of
    /// `next_status`: (from, step, who, to for a violation, to for a policy-caused item).
    fn drawn() -> Vec<(Status, Step, Who, Status, Status)> {
        use Status as S;
        let pass = |all| Step::PassAcceptance {
            all_others_passed: all,
        };
        let mut t = vec![
            (
                S::Registered,
                Step::Issue,
                Who::Central,
                S::Issued,
                S::Issued,
            ),
            (
                S::Issued,
                Step::Acknowledge,
                Who::OwnUnit,
                S::Acknowledged,
                S::Acknowledged,
            ),
            (
                S::Acknowledged,
                Step::SubmitPlan,
                Who::OwnUnit,
                S::PlanReview,
                S::PlanReview,
            ),
            (
                S::PlanReview,
                Step::ApprovePlan,
                Who::Central,
                S::InRectification,
                S::Digesting,
            ),
            (
                S::PlanReview,
                Step::ReturnPlan,
                Who::Central,
                S::Acknowledged,
                S::Acknowledged,
            ),
            (
                S::InRectification,
                Step::RequestClosure,
                Who::OwnUnit,
                S::ClosureRequested,
                S::ClosureRequested,
            ),
            (
                S::Digesting,
                Step::RequestClosure,
                Who::OwnUnit,
                S::ClosureRequested,
                S::ClosureRequested,
            ),
            (
                S::ClosureRequested,
                pass(true),
                Who::PendingCoSigner,
                S::Closed,
                S::Closed,
            ),
            (
                S::ClosureRequested,
                pass(false),
                Who::PendingCoSigner,
                S::ClosureRequested,
                S::ClosureRequested,
            ),
            (
                S::ClosureRequested,
                Step::ReturnAcceptance,
                Who::PendingCoSigner,
                S::InRectification,
                S::Digesting,
            ),
        ];
        for s in ALL_STATUSES.into_iter().filter(|s| s.is_open()) {
            t.push((s, Step::Withdraw, Who::Central, S::Withdrawn, S::Withdrawn));
        }
        t
    }

    #[test]
    fn exactly_the_drawn_transitions_are_allowed_and_every_other_is_refused() {
        let steps = [
            Step::Issue,
            Step::Acknowledge,
            Step::SubmitPlan,
            Step::ApprovePlan,
            Step::ReturnPlan,
            Step::RequestClosure,
            Step::PassAcceptance {
                all_others_passed: true,
            },
            Step::PassAcceptance {
                all_others_passed: false,
            },
            Step::ReturnAcceptance,
            Step::Withdraw,
        ];
        let drawn = drawn();
        let mut checked = 0;
        let mut allowed = 0;
        for status in ALL_STATUSES {
            for step in steps {
                for nature in [V, P] {
                    for role in Role::ALL {
                        for own_unit in [true, false] {
                            for pending_co_signer in [true, false] {
                                let a = Actor {
                                    role,
                                    own_unit,
                                    pending_co_signer,
                                };
                                let entry =
                                    drawn.iter().find(|(f, st, ..)| *f == status && *st == step);
                                let expected = match entry {
                                    None => Err(Refusal::WrongState),
                                    Some((_, _, who, to_v, to_p)) if qualifies(*who, a) => {
                                        Ok(if nature == V { *to_v } else { *to_p })
                                    }
                                    Some(_) => Err(Refusal::NotAllowed),
                                };
                                assert_eq!(
                                    next_status(status, nature, step, a),
                                    expected,
                                    "{status:?} {step:?} {nature:?} {a:?}"
                                );
                                checked += 1;
                                allowed += usize::from(expected.is_ok());
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 9 * 10 * 2 * 7 * 4);
        assert!(allowed > 0);
    }
}
