//! Approval rules: how a step stands after its decisions, and where a request goes when its
//! round ends. `services::approvals` stores rounds and decisions and asks these functions.

use handoff_shared::EventKind;
use handoff_shared::definition::{ApprovalPolicy, Approvals, Event};

/// Where an approval step stands after its decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    Undecided,
    Approved,
    Rejected,
}

/// Applies a policy to the decisions so far. Any rejection ends the step (rejection ends the
/// approval). `any` needs one approval, `all` every resolved approver, `quorum:N` N approvals.
pub fn step_outcome(
    policy: &ApprovalPolicy,
    approvers: usize,
    approvals: usize,
    rejections: usize,
) -> StepOutcome {
    if rejections > 0 {
        return StepOutcome::Rejected;
    }
    let needed = match policy {
        ApprovalPolicy::Any => 1,
        ApprovalPolicy::All => approvers.max(1),
        ApprovalPolicy::Quorum(n) => *n as usize,
    };
    if approvals >= needed {
        StepOutcome::Approved
    } else {
        StepOutcome::Undecided
    }
}

/// Where an approval round stands after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundState {
    /// A step is still waiting for decisions.
    Waiting,
    /// Every applicable step approved (or none applied).
    Approved,
    /// A step was rejected.
    Rejected,
}

/// What follows a round that ended: the event to record (`approved` / `rejected`), the
/// definition event actions listen to, and the status the request moves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundEnd<'d> {
    pub kind: EventKind,
    pub happened: Event,
    pub to: &'d str,
}

/// Where a round in `state` leads under the definition's `approvals`; `None` while waiting.
pub fn round_end(spec: &Approvals, state: RoundState) -> Option<RoundEnd<'_>> {
    match state {
        RoundState::Waiting => None,
        RoundState::Approved => Some(RoundEnd {
            kind: EventKind::Approved,
            happened: Event::Approved,
            to: &spec.on_approved,
        }),
        RoundState::Rejected => Some(RoundEnd {
            kind: EventKind::Rejected,
            happened: Event::Rejected,
            to: &spec.on_rejected,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_policy_approves_on_first_approval() {
        assert_eq!(
            step_outcome(&ApprovalPolicy::Any, 3, 1, 0),
            StepOutcome::Approved
        );
        assert_eq!(
            step_outcome(&ApprovalPolicy::Any, 3, 0, 0),
            StepOutcome::Undecided
        );
    }

    #[test]
    fn all_policy_waits_for_every_approver() {
        assert_eq!(
            step_outcome(&ApprovalPolicy::All, 3, 2, 0),
            StepOutcome::Undecided
        );
        assert_eq!(
            step_outcome(&ApprovalPolicy::All, 3, 3, 0),
            StepOutcome::Approved
        );
    }

    #[test]
    fn quorum_policy_needs_n_approvals() {
        assert_eq!(
            step_outcome(&ApprovalPolicy::Quorum(2), 4, 1, 0),
            StepOutcome::Undecided
        );
        assert_eq!(
            step_outcome(&ApprovalPolicy::Quorum(2), 4, 2, 0),
            StepOutcome::Approved
        );
    }

    #[test]
    fn one_rejection_ends_any_policy() {
        for policy in [
            ApprovalPolicy::Any,
            ApprovalPolicy::All,
            ApprovalPolicy::Quorum(2),
        ] {
            assert_eq!(step_outcome(&policy, 3, 2, 1), StepOutcome::Rejected);
        }
    }

    #[test]
    fn a_finished_round_leads_to_its_status_and_a_waiting_one_nowhere() {
        let spec = Approvals {
            status: "approval".into(),
            steps: vec![],
            on_approved: "ordering".into(),
            on_rejected: "rejected".into(),
            reapprove_on_change: vec![],
        };
        assert_eq!(round_end(&spec, RoundState::Waiting), None);
        let approved = round_end(&spec, RoundState::Approved);
        assert_eq!(approved.as_ref().map(|e| e.to), Some("ordering"));
        assert_eq!(approved.map(|e| e.happened), Some(Event::Approved));
        let rejected = round_end(&spec, RoundState::Rejected);
        assert_eq!(
            rejected.as_ref().map(|e| (e.kind, e.to)),
            Some((EventKind::Rejected, "rejected"))
        );
    }
}
