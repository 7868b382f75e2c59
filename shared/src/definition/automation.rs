//! What a definition does over time and how it is tested: SLA clocks and their targets,
//! actions and the events they listen to, and the definition's own test cases.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Priority, StatusCategory};

/// One SLA clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaClock {
    /// Identifier.
    pub key: String,
    /// Display name.
    pub label: String,
    /// Event that starts the clock.
    pub start: String,
    /// Event that stops it.
    pub stop: String,
    /// Event while which it is paused (usually `status(<key>)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<String>,
    /// Target duration, fixed or per priority.
    pub target: SlaTarget,
    /// `business` or `24x7`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    /// When to remind, as a percentage of the target (`80%`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_at: Option<String>,
    /// What happens on breach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_breach: Option<OnBreach>,
}

/// An SLA target: one duration (`4h`) or one per priority with a `default`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SlaTarget {
    /// The same target for every priority.
    Fixed(String),
    /// Targets keyed by priority name, plus `default`.
    ByPriority(BTreeMap<String, String>),
}

impl SlaTarget {
    /// The target duration text that applies to a priority.
    pub fn for_priority(&self, priority: Priority) -> Option<&str> {
        match self {
            SlaTarget::Fixed(target) => Some(target),
            SlaTarget::ByPriority(targets) => targets
                .get(priority.as_str())
                .or_else(|| targets.get("default"))
                .map(String::as_str),
        }
    }
}

/// What happens when an SLA clock breaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnBreach {
    /// Who is told (`role:<key>`, `team:<key>`, `user:<email>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_to: Option<String>,
    /// Priority the request is raised to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_priority: Option<Priority>,
}

/// One action run on an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// The event, e.g. `enter(ordering)`.
    pub on: String,
    /// Webhook integration key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    /// Who is notified: `requester`, `assignee`, `team` or `role:<key>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<String>,
    /// Chat integration key that gets the message too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// Webhook body template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Notification message template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Field key to JSON path (`$.po_number`) of the webhook answer to write back.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capture: BTreeMap<String, String>,
}

/// One definition test case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    /// What the case shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The submission.
    pub given: TestGiven,
    /// The expected outcome; properties left out are not checked.
    pub expect: TestExpect,
}

/// The submission of a test case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestGiven {
    /// Field values, as a form would send them.
    #[serde(default)]
    pub fields: serde_json::Map<String, Value>,
    /// Who submits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<TestRequester>,
}

/// The requester of a test case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestRequester {
    /// Email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Team key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
}

/// The expected outcome of a test case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestExpect {
    /// Routed team (`None`: not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Routed priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// The keys of the approval steps that apply, in order.
    #[serde(default, alias = "approvers", skip_serializing_if = "Option::is_none")]
    pub approvals: Option<Vec<String>>,
    /// The first status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// An event named by SLA clocks and actions, parsed from its compact form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// `submitted`.
    Submitted,
    /// `enter(<status>)`.
    Enter(String),
    /// `leave(<status>)`.
    Leave(String),
    /// `status(<status>)`: while in the status.
    Status(String),
    /// `category(<category>)`: entering (or being in) a status of the category.
    Category(StatusCategory),
    /// `approved`.
    Approved,
    /// `rejected`.
    Rejected,
    /// `sla_breached(<sla key>)`.
    SlaBreached(String),
    /// `sla_reminder(<sla key>)`.
    SlaReminder(String),
}

impl Event {
    /// Parses the compact form, without checking that the named status or clock exists.
    pub fn parse(s: &str) -> Result<Event, String> {
        match s {
            "submitted" => return Ok(Event::Submitted),
            "approved" => return Ok(Event::Approved),
            "rejected" => return Ok(Event::Rejected),
            _ => {}
        }
        let invalid = || {
            format!(
                "invalid event \"{s}\" (expected submitted, approved, rejected, enter(<status>), leave(<status>), status(<status>), category(<category>), sla_breached(<sla>) or sla_reminder(<sla>))"
            )
        };
        let (name, rest) = s.split_once('(').ok_or_else(invalid)?;
        let argument = rest.strip_suffix(')').ok_or_else(invalid)?.trim();
        if argument.is_empty() {
            return Err(invalid());
        }
        let argument = argument.to_owned();
        match name.trim() {
            "enter" => Ok(Event::Enter(argument)),
            "leave" => Ok(Event::Leave(argument)),
            "status" => Ok(Event::Status(argument)),
            "category" => StatusCategory::parse(&argument)
                .map(Event::Category)
                .ok_or_else(|| {
                    format!(
                        "unknown category \"{argument}\" (expected open, active, waiting or done)"
                    )
                }),
            "sla_breached" => Ok(Event::SlaBreached(argument)),
            "sla_reminder" => Ok(Event::SlaReminder(argument)),
            _ => Err(invalid()),
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Submitted => f.write_str("submitted"),
            Event::Enter(key) => write!(f, "enter({key})"),
            Event::Leave(key) => write!(f, "leave({key})"),
            Event::Status(key) => write!(f, "status({key})"),
            Event::Category(category) => write!(f, "category({})", category.as_str()),
            Event::Approved => f.write_str("approved"),
            Event::Rejected => f.write_str("rejected"),
            Event::SlaBreached(key) => write!(f, "sla_breached({key})"),
            Event::SlaReminder(key) => write!(f, "sla_reminder({key})"),
        }
    }
}
