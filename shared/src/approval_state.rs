//! The state of one approval step, as the server stores it and the API shows it.
//!
//! The names are upper case (`PENDING`, ...): that is what `approval_steps.state` has held since
//! the first release and what the GraphQL `ApprovalState` enum sends, so the stored value, the
//! wire value and this type's serde form are one string and no data is rewritten.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::UnknownValue;

/// Where an approval step is in its round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ApprovalState {
    /// Applies to the round but waits for the steps before it.
    Pending,
    /// The step being decided now; its approvers are resolved.
    Active,
    /// Reached approval under its policy.
    Approved,
    /// Rejected under its policy; the round ends rejected.
    Rejected,
    /// Does not apply (its condition was false), or the round ended before it was reached.
    Skipped,
}

impl ApprovalState {
    /// Every state, in the order a step can pass through them.
    pub const ALL: [ApprovalState; 5] = [
        ApprovalState::Pending,
        ApprovalState::Active,
        ApprovalState::Approved,
        ApprovalState::Rejected,
        ApprovalState::Skipped,
    ];

    /// The stored name (`approval_steps.state`), as the API shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalState::Pending => "PENDING",
            ApprovalState::Active => "ACTIVE",
            ApprovalState::Approved => "APPROVED",
            ApprovalState::Rejected => "REJECTED",
            ApprovalState::Skipped => "SKIPPED",
        }
    }

    /// Whether the step still waits for a decision (pending or active).
    pub fn is_open(self) -> bool {
        matches!(self, ApprovalState::Pending | ApprovalState::Active)
    }
}

impl FromStr for ApprovalState {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownValue::new("approval state", s))
    }
}

impl fmt::Display for ApprovalState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_approval_state_round_trips_through_its_name_and_serde() {
        for state in ApprovalState::ALL {
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
            .into_iter()
            .filter(|s| s.is_open())
            .collect();
        assert_eq!(open, [ApprovalState::Pending, ApprovalState::Active]);
    }
}
