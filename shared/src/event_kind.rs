//! The kinds of audit event the server records, one closed list for the server and the web app.
//!
//! Every event in the audit trail (`events.kind`) carries one of these names. The names are
//! stored, hashed into each event's chain link and shown to clients, so a name never changes
//! once shipped; a new kind of event is a new variant. A name that is not in the list is an
//! error ([`UnknownValue`]), never a silent default: a reader that meets one is older than the
//! writer, or the data was edited.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::UnknownValue;

/// Declares the enum, its `ALL` list and `as_str` from one table, so a name is written once.
/// Serde derives its own names with `snake_case`; a test checks both agree for every variant.
macro_rules! event_kinds {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// What an audit event records.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum EventKind {
            $( $(#[$doc])* $variant, )*
        }

        impl EventKind {
            /// Every kind, request events first, then administrative (system stream) events.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant),*];

            /// The stored name (`events.kind`), as the API shows it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $name,)*
                }
            }
        }
    };
}

event_kinds! {
    // A request's own chain (`events.stream` is the request id).

    /// A request was submitted; data: number, workflow, version, fields, first status.
    Submitted = "submitted",
    /// Routing chose the team, priority and assignee of a new request.
    Routed = "routed",
    /// A request moved from one status to another.
    Transitioned = "transitioned",
    /// An approval round began: which steps apply and which were skipped.
    ApprovalRoundStarted = "approval_round_started",
    /// One approval step became active with its approvers resolved.
    ApprovalStarted = "approval_started",
    /// The open steps of a round were skipped because the request left the approval status.
    ApprovalCancelled = "approval_cancelled",
    /// An approver approved or rejected the active step.
    Decided = "decided",
    /// A step reached its outcome under its policy (approved or rejected).
    StepCompleted = "step_completed",
    /// The whole approval round was approved.
    Approved = "approved",
    /// The approval round was rejected.
    Rejected = "rejected",
    /// A field that requires re-approval changed, so the approval round starts over.
    ApprovalRestarted = "approval_restarted",
    /// Field values changed (an edit, or values captured from an integration's answer).
    FieldsUpdated = "fields_updated",
    /// Someone commented on a request.
    Commented = "commented",
    /// The assignee changed (claimed, assigned or unassigned: see the data's `action`).
    Assigned = "assigned",
    /// An outbox delivery reached its receiver.
    DeliverySucceeded = "delivery_succeeded",
    /// An outbox delivery attempt failed (or could not be queued at all).
    DeliveryFailed = "delivery_failed",
    /// An admin scheduled a failed or dead delivery to be sent again.
    DeliveryRetried = "delivery_retried",

    // The system chain (`events.stream` is `system`): administration.

    /// A user account was created.
    UserCreated = "user_created",
    /// A user's name, roles, teams, manager, status or password changed.
    UserUpdated = "user_updated",
    /// A team was created.
    TeamCreated = "team_created",
    /// A team was renamed.
    TeamUpdated = "team_updated",
    /// A role was created.
    RoleCreated = "role_created",
    /// A role's name or grants changed.
    RoleUpdated = "role_updated",
    /// A custom role was deleted.
    RoleDeleted = "role_deleted",
    /// An API token was issued.
    ApiTokenCreated = "api_token_created",
    /// An API token was revoked.
    ApiTokenRevoked = "api_token_revoked",
    /// An integration was configured.
    IntegrationCreated = "integration_created",
    /// An integration's URL or enabled flag changed.
    IntegrationUpdated = "integration_updated",
    /// An integration's signing secret was rotated.
    IntegrationSecretRotated = "integration_secret_rotated",
    /// The delivery worker disabled an integration whose receiver answered 410 Gone.
    IntegrationDisabled = "integration_disabled",
    /// An inbound hook was created.
    InboundHookCreated = "inbound_hook_created",
    /// An inbound hook was revoked.
    InboundHookRevoked = "inbound_hook_revoked",
    /// A workflow version was published.
    WorkflowPublished = "workflow_published",
}

impl FromStr for EventKind {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownValue::new("event kind", s))
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_kind_round_trips_through_its_name_and_serde() {
        for &kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, serde_json::Value::String(kind.as_str().to_owned()));
            assert_eq!(serde_json::from_value::<EventKind>(json).unwrap(), kind);
            assert_eq!(kind.to_string(), kind.as_str());
        }
    }

    #[test]
    fn event_kind_names_are_unique() {
        let mut names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventKind::ALL.len());
    }

    #[test]
    fn an_unknown_event_kind_is_an_error() {
        let err = "no_such_kind".parse::<EventKind>().unwrap_err();
        assert_eq!(err, UnknownValue::new("event kind", "no_such_kind"));
        assert_eq!(err.to_string(), "unknown event kind \"no_such_kind\"");
        // Names are exact: no case folding, no trimming.
        assert!("Submitted".parse::<EventKind>().is_err());
        assert!(" submitted".parse::<EventKind>().is_err());
        assert!(serde_json::from_str::<EventKind>("\"nope\"").is_err());
    }
}
