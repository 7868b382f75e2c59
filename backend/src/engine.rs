//! Pure decisions of the workflow engine: who may take which transition, how an approval step
//! stands after its decisions, and the audit hash chain. No IO and no clock: callers pass
//! everything in, so every rule is unit-tested here without a database.

use handoff_shared::definition::{Actor, ApprovalPolicy, Definition, Transition};
use sha2::{Digest, Sha256};

/// How the caller relates to a request, gathered by the service before asking the engine.
#[derive(Debug, Clone, Default)]
pub struct Relation<'a> {
    pub is_requester: bool,
    pub is_assignee: bool,
    /// Member of the request's team.
    pub in_team: bool,
    pub roles: &'a [String],
    /// Holds `request.work` for the request's workflow and may read the request.
    pub can_work: bool,
}

/// Whether `actor` describes the caller. Everyone but the requester also needs `request.work`:
/// a role or team membership names who works a request, the permission says they may work.
pub fn actor_matches(actor: &Actor, rel: &Relation<'_>) -> bool {
    match actor {
        Actor::Requester => rel.is_requester,
        Actor::Assignee => rel.is_assignee && rel.can_work,
        Actor::Team => rel.in_team && rel.can_work,
        Actor::Role(role) => rel.can_work && rel.roles.iter().any(|r| r == role),
        Actor::Anyone => rel.can_work,
    }
}

/// The transitions leaving `status` that the caller may take (guards are checked separately
/// because they need the expression context).
pub fn transitions_from<'d>(
    def: &'d Definition,
    status: &str,
    rel: &Relation<'_>,
) -> Vec<&'d Transition> {
    def.transitions
        .iter()
        .filter(|t| t.from.iter().any(|f| f == status))
        .filter(|t| t.by.iter().any(|a| actor_matches(a, rel)))
        .collect()
}

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

/// The fields of an event that its hash covers.
#[derive(Debug)]
pub struct HashInput<'a> {
    pub prev_hash: &'a str,
    pub id: &'a str,
    pub stream: &'a str,
    pub seq: i64,
    pub kind: &'a str,
    pub actor_id: Option<&'a str>,
    /// RFC 3339 with microseconds, as stored.
    pub at: &'a str,
    pub data: &'a str,
}

/// The hex SHA-256 chaining an event to its predecessor. Fields are length-prefixed so no two
/// different events can produce the same byte string.
pub fn event_hash(input: &HashInput<'_>) -> String {
    let mut h = Sha256::new();
    let seq = input.seq.to_string();
    for part in [
        input.prev_hash,
        input.id,
        input.stream,
        &seq,
        input.kind,
        input.actor_id.unwrap_or(""),
        input.at,
        input.data,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The `prev_hash` of a stream's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(roles: &[String]) -> Relation<'_> {
        Relation {
            roles,
            ..Relation::default()
        }
    }

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
    fn requester_actor_needs_no_work_permission_but_team_does() {
        let roles = vec![];
        let mut r = rel(&roles);
        r.is_requester = true;
        assert!(actor_matches(&Actor::Requester, &r));
        r.in_team = true;
        assert!(!actor_matches(&Actor::Team, &r));
        r.can_work = true;
        assert!(actor_matches(&Actor::Team, &r));
    }

    #[test]
    fn role_actor_needs_the_role() {
        let roles = vec!["finance-approver".to_owned()];
        let mut r = rel(&roles);
        r.can_work = true;
        assert!(actor_matches(&Actor::Role("finance-approver".into()), &r));
        assert!(!actor_matches(&Actor::Role("legal".into()), &r));
    }

    #[test]
    fn event_hash_changes_with_any_field() {
        let base = HashInput {
            prev_hash: GENESIS,
            id: "a",
            stream: "s",
            seq: 1,
            kind: "submitted",
            actor_id: Some("u"),
            at: "2026-01-01T00:00:00.000000Z",
            data: "{}",
        };
        let h = event_hash(&base);
        assert_eq!(h.len(), 64);
        assert_ne!(
            h,
            event_hash(&HashInput {
                data: "{\"x\":1}",
                ..base
            })
        );
        assert_ne!(h, event_hash(&HashInput { seq: 2, ..base }));
        assert_ne!(
            h,
            event_hash(&HashInput {
                actor_id: None,
                ..base
            })
        );
    }
}
