//! The kinds of audit event the server records, one closed list for the server and the web app.
//!
//! Every event in the audit trail (`events.kind`) carries one of these names. The names are
//! stored, hashed into each event's chain link and shown to clients, so a name never changes
//! once shipped; a new kind of event is a new variant. A name that is not in the list is an
//! error ([`UnknownValue`](crate::UnknownValue)), never a silent default: a reader that meets one is older than the
//! writer, or the data was edited.

/// The one table of event kinds: a variant, its doc and its stored name per entry.
///
/// `for_each_event_kind!(then! { prefix })` expands to
/// `then! { prefix { Variant = "name", ... } }` with every entry and its doc comment, so each
/// list of kinds elsewhere is generated from this one instead of written out again: the
/// [`EventKind`] enum here, and the server's column type for `events.kind`
/// (`handoff-backend`'s `db::enums::EventKind`) with its conversions both ways. Adding a kind
/// is one entry here.
#[macro_export]
macro_rules! for_each_event_kind {
    ($then:ident ! { $($prefix:tt)* }) => {
        $then! { $($prefix)* {
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
        } }
    };
}

for_each_event_kind!(closed_list! {
    /// What an audit event records. `ALL` has request events first, then administrative
    /// (system stream) events.
    pub enum EventKind ("event kind")
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UnknownValue;

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
