//! What a viewer may do on an item now, in the order a page offers them (the first is
//! the large button). Built on the lifecycle rules; pure.

use super::Action;
use super::lifecycle::{Actor, Nature, Status, Step, next_status};
use crate::auth::Role;

/// How the viewer stands to the item, beyond what [`Actor`] says.
#[derive(Clone, Copy, Debug)]
pub struct Standing {
    pub actor: Actor,
    /// An extension request waits for a decision.
    pub extension_pending: bool,
}

/// States in which the unit works on the item and reports progress.
fn working(status: Status) -> bool {
    matches!(
        status,
        Status::Acknowledged | Status::PlanReview | Status::InRectification | Status::Digesting
    )
}

pub fn may_report_progress(status: Status, actor: Actor) -> bool {
    unit_side(actor) && working(status)
}

pub fn may_request_extension(status: Status, actor: Actor, extension_pending: bool) -> bool {
    unit_side(actor) && working(status) && !extension_pending
}

fn unit_side(actor: Actor) -> bool {
    matches!(actor.role, Role::UnitHead | Role::UnitHandler) && actor.own_unit
}

pub fn actions(status: Status, nature: Nature, standing: Standing) -> Vec<Action> {
    let actor = standing.actor;
    let step_ok = |step: Step| next_status(status, nature, step, actor).is_ok();
    let central = actor.role == Role::CentralOffice;
    let mut out = Vec::new();
    let mut offer = |yes: bool, action: Action| {
        if yes {
            out.push(action);
        }
    };
    offer(step_ok(Step::Issue), Action::Issue);
    offer(step_ok(Step::Acknowledge), Action::Acknowledge);
    offer(step_ok(Step::SubmitPlan), Action::SubmitPlan);
    offer(step_ok(Step::ApprovePlan), Action::ApprovePlan);
    offer(
        step_ok(Step::PassAcceptance {
            all_others_passed: false,
        }),
        Action::CoSign,
    );
    offer(
        central && standing.extension_pending && status.is_open(),
        Action::DecideExtension,
    );
    offer(may_report_progress(status, actor), Action::ReportProgress);
    offer(step_ok(Step::RequestClosure), Action::RequestClosure);
    offer(
        may_request_extension(status, actor, standing.extension_pending),
        Action::RequestExtension,
    );
    offer(step_ok(Step::ReturnPlan), Action::ReturnPlan);
    offer(central && status != Status::Withdrawn, Action::Notify);
    offer(
        matches!(
            actor.role,
            Role::CentralOffice | Role::BusinessDivision | Role::DistrictOffice | Role::Partner
        ),
        Action::Comment,
    );
    offer(step_ok(Step::Withdraw), Action::Withdraw);
    offer(
        central && status != Status::Withdrawn,
        Action::RecordAccountability,
    );
    offer(
        central && status == Status::Closed,
        Action::RegisterRecurrence,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(role: Role, own_unit: bool, pending_co_signer: bool) -> Standing {
        Standing {
            actor: Actor {
                role,
                own_unit,
                pending_co_signer,
            },
            extension_pending: false,
        }
    }

    #[test]
    fn the_unit_head_is_offered_the_next_step_first() {
        let me = standing(Role::UnitHead, true, false);
        assert_eq!(
            actions(Status::Issued, Nature::Violation, me).first(),
            Some(&Action::Acknowledge)
        );
        assert_eq!(
            actions(Status::Acknowledged, Nature::Violation, me).first(),
            Some(&Action::SubmitPlan)
        );
        let working = actions(Status::InRectification, Nature::Violation, me);
        assert_eq!(working.first(), Some(&Action::ReportProgress));
        assert!(working.contains(&Action::RequestClosure));
        assert!(working.contains(&Action::RequestExtension));
        assert!(actions(Status::ClosureRequested, Nature::Violation, me).is_empty());
    }

    #[test]
    fn another_units_head_is_offered_nothing() {
        let other = standing(Role::UnitHead, false, false);
        for s in [
            Status::Issued,
            Status::Acknowledged,
            Status::InRectification,
        ] {
            assert!(actions(s, Nature::Violation, other).is_empty(), "{s:?}");
        }
    }

    #[test]
    fn one_extension_request_at_a_time() {
        let mut me = standing(Role::UnitHandler, true, false);
        me.extension_pending = true;
        assert!(
            !actions(Status::Digesting, Nature::PolicyCaused, me)
                .contains(&Action::RequestExtension)
        );
        let mut central = standing(Role::CentralOffice, false, false);
        central.extension_pending = true;
        assert!(
            actions(Status::Digesting, Nature::PolicyCaused, central)
                .contains(&Action::DecideExtension)
        );
    }

    #[test]
    fn co_signers_and_the_central_office_get_their_own_steps() {
        let partner = standing(Role::Partner, false, true);
        assert_eq!(
            actions(Status::ClosureRequested, Nature::Violation, partner).first(),
            Some(&Action::CoSign)
        );
        let central = standing(Role::CentralOffice, false, false);
        let closed = actions(Status::Closed, Nature::Violation, central);
        assert!(closed.contains(&Action::RegisterRecurrence));
        assert!(!closed.contains(&Action::Withdraw));
        assert_eq!(
            actions(Status::Registered, Nature::Violation, central).first(),
            Some(&Action::Issue)
        );
    }

    #[test]
    fn the_district_office_only_watches_and_comments() {
        let district = standing(Role::DistrictOffice, false, false);
        assert_eq!(
            actions(Status::InRectification, Nature::Violation, district),
            vec![Action::Comment]
        );
    }
}
