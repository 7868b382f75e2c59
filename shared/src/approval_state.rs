//! The state of one approval step, as the server stores it and the API shows it.
//!
//! The names are upper case (`PENDING`, ...): that is what `approval_steps.state` has held since
//! the first release and what the GraphQL `ApprovalState` enum sends, so the stored value, the
//! wire value and this type's serde form are one string and no data is rewritten.

/// The table of approval states, in the order a step can pass through them; see
/// [`for_each_event_kind!`](crate::for_each_event_kind) for how it is expanded. The server's
/// column type for `approval_steps.state` and its GraphQL `ApprovalState` come from it too.
#[macro_export]
macro_rules! for_each_approval_state {
    ($then:ident ! { $($prefix:tt)* }) => {
        $then! { $($prefix)* {
            /// Applies to the round but waits for the steps before it.
            Pending = "PENDING",
            /// The step being decided now; its approvers are resolved.
            Active = "ACTIVE",
            /// Reached approval under its policy.
            Approved = "APPROVED",
            /// Rejected under its policy; the round ends rejected.
            Rejected = "REJECTED",
            /// Does not apply (its condition was false), or the round ended before it.
            Skipped = "SKIPPED",
        } }
    };
}

for_each_approval_state!(closed_list! {
    /// Where an approval step is in its round.
    pub enum ApprovalState ("approval state")
});

impl ApprovalState {
    /// Whether the step still waits for a decision (pending or active).
    pub fn is_open(self) -> bool {
        matches!(self, ApprovalState::Pending | ApprovalState::Active)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UnknownValue;

    #[test]
    fn every_approval_state_round_trips_through_its_name_and_serde() {
        for &state in ApprovalState::ALL {
            assert_eq!(state.as_str().parse::<ApprovalState>(), Ok(state));
            let json = serde_json::to_value(state).unwrap();
            assert_eq!(json, serde_json::Value::String(state.as_str().to_owned()));
            assert_eq!(
                serde_json::from_value::<ApprovalState>(json).unwrap(),
                state
            );
        }
    }

    #[test]
    fn an_unknown_approval_state_is_an_error() {
        assert_eq!(
            "pending".parse::<ApprovalState>(),
            Err(UnknownValue::new("approval state", "pending"))
        );
    }

    #[test]
    fn only_pending_and_active_steps_are_open() {
        let open: Vec<_> = ApprovalState::ALL
            .iter()
            .copied()
            .filter(|s| s.is_open())
            .collect();
        assert_eq!(open, [ApprovalState::Pending, ApprovalState::Active]);
    }
}
