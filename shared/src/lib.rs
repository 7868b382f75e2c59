//! Types and pure rules shared by the Handoff server and web app.
//!
//! This crate owns the workflow definition format (serde types, parsing, validation),
//! the expression language used by definitions, form validation of submissions,
//! routing decisions, business calendars and the SLA arithmetic on them, permission names,
//! the stable error codes clients branch on, and the closed lists of names the server records
//! (audit event kinds, approval states).
//! It must stay free of IO, async runtimes, databases and web frameworks: the same
//! code is compiled to WebAssembly for the browser, so validation runs identically
//! on both sides.

#![warn(missing_docs)]

// First: the modules below expand `closed_list!`.
#[macro_use]
mod closed_list;

pub mod approval_state;
pub mod calendar;
pub mod definition;
pub mod duration;
pub mod error_code;
pub mod event_kind;
pub mod expr;
pub mod form;
pub mod parse;
pub mod permissions;
pub mod routing;
pub mod validate;

mod suggest;

pub use approval_state::ApprovalState;
pub use calendar::{Calendar, CalendarError, check_calendar, parse_calendar};
pub use definition::{
    Action, Actor, ApprovalPolicy, ApprovalStep, Approvals, Approver, CommentRule, Definition,
    Event, Field, FieldType, OnBreach, Priority, RoutingRule, SlaClock, SlaTarget, Status,
    StatusCategory, TestCase, TestExpect, TestGiven, TestRequester, Transition,
};
pub use duration::parse_duration;
pub use error_code::ErrorCode;
pub use event_kind::EventKind;
pub use expr::{ExprContext, ExprError, check_expression, eval_bool, eval_condition};
pub use form::{FormContext, FormMode, validate_fields, visible_fields};
pub use parse::{MAX_DEFINITION_BYTES, check_definition, parse_definition};
pub use permissions::{BuiltinRole, Grant, Permission, builtin_roles};
pub use routing::{RoutingOutcome, applicable_steps, route, run_definition_tests};
pub use validate::validate_definition;

use serde::{Deserialize, Serialize};

/// One problem found in a definition or a submission, located by a path into the document.
///
/// Paths read like `transitions[2].to`, `fields[3].visible_if`, `tests[0].expect.team` for
/// definitions and `fields.amount` for form submissions; the empty path means the whole input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Where the problem is.
    pub path: String,
    /// What is wrong, in a sentence fragment a person can act on.
    pub message: String,
}

impl Problem {
    /// Builds a problem from anything string-like.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A name that no variant of a closed list matches (an audit event kind, an approval state).
///
/// Stored and received names are parsed strictly: an unknown one is this error, never a
/// default, so a reader older than the data (or edited data) is noticed instead of guessed at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} \"{value}\"")]
pub struct UnknownValue {
    /// What was being parsed (`event kind`).
    pub what: &'static str,
    /// The name found.
    pub value: String,
}

impl UnknownValue {
    /// The error for `value`, which is not a known `what`.
    pub fn new(what: &'static str, value: impl Into<String>) -> Self {
        Self {
            what,
            value: value.into(),
        }
    }
}
