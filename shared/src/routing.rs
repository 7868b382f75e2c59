//! Routing decisions and approval-step selection, plus the runner for a definition's
//! `tests:` cases, which exercise exactly these decisions.
//!
//! Pure: the server calls these at submission (and on re-route) and stores the outcome;
//! nothing here reads a clock or a database.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Problem;
use crate::definition::{ApprovalStep, Definition, Priority};
use crate::expr::{ExprContext, eval_condition};
use crate::form::{FormContext, FormMode, validate_fields};

/// Requester email used by test cases that do not name one.
pub const TEST_REQUESTER_EMAIL: &str = "requester@handoff.local";

/// What routing decided for a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingOutcome {
    /// Team key, when a rule set one.
    pub team: Option<String>,
    /// Priority; `Normal` when no rule set one.
    pub priority: Priority,
    /// Assignee email, when a rule set one.
    pub assignee: Option<String>,
}

/// Applies the routing rules in order; for each property the first matching rule that sets
/// it wins, so specific rules go first and an unconditional default last.
pub fn route(def: &Definition, ctx: &ExprContext<'_>) -> RoutingOutcome {
    let mut team = None;
    let mut priority = None;
    let mut assignee = None;
    for rule in &def.routing {
        if team.is_some() && priority.is_some() && assignee.is_some() {
            break;
        }
        if !eval_condition(rule.when.as_deref(), ctx) {
            continue;
        }
        if team.is_none() {
            team.clone_from(&rule.team);
        }
        if priority.is_none() {
            priority = rule.priority;
        }
        if assignee.is_none() {
            assignee.clone_from(&rule.assignee);
        }
    }
    RoutingOutcome {
        team,
        priority: priority.unwrap_or_default(),
        assignee,
    }
}

/// The approval steps that apply to a request, in order: those without `when` or whose
/// `when` holds.
pub fn applicable_steps<'d>(def: &'d Definition, ctx: &ExprContext<'_>) -> Vec<&'d ApprovalStep> {
    def.approvals
        .iter()
        .flat_map(|approvals| approvals.steps.iter())
        .filter(|step| eval_condition(step.when.as_deref(), ctx))
        .collect()
}

/// Runs the definition's `tests:` cases and reports every failed expectation at
/// `tests[i].expect.<what>`, or the invalid given fields at `tests[i].given.fields.<key>`.
pub fn run_definition_tests(def: &Definition, now: DateTime<Utc>) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, case) in def.tests.iter().enumerate() {
        let base = format!("tests[{index}]");
        let requester = case.given.requester.as_ref();
        let requester_email = requester
            .and_then(|r| r.email.as_deref())
            .unwrap_or(TEST_REQUESTER_EMAIL);
        let requester_team = requester.and_then(|r| r.team.as_deref());
        let form = FormContext {
            priority: None,
            requester_email,
            requester_team,
            now,
        };
        let input = Value::Object(case.given.fields.clone());
        let fields = match validate_fields(def, &input, &form, FormMode::Intake) {
            Ok(fields) => fields,
            Err(found) => {
                // The expectations cannot be judged on a submission the form would refuse.
                problems.extend(found.into_iter().map(|problem| {
                    Problem::new(format!("{base}.given.{}", problem.path), problem.message)
                }));
                continue;
            }
        };
        let mut ctx = ExprContext {
            definition: def,
            fields: &fields,
            priority: None,
            requester_email,
            requester_team,
            now,
        };
        let outcome = route(def, &ctx);
        // Approval conditions may look at the priority routing just set, as they do on the
        // server, where approvals start after routing.
        ctx.priority = Some(outcome.priority);
        let expect = &case.expect;
        let mismatch = |what: &str, expected: String, actual: String| {
            Problem::new(
                format!("{base}.expect.{what}"),
                format!("expected {what} {expected}, got {actual}"),
            )
        };
        if let Some(team) = &expect.team
            && outcome.team.as_ref() != Some(team)
        {
            problems.push(mismatch(
                "team",
                quoted(team),
                optional(outcome.team.as_deref()),
            ));
        }
        if let Some(priority) = expect.priority
            && outcome.priority != priority
        {
            problems.push(mismatch(
                "priority",
                quoted(priority.as_str()),
                quoted(outcome.priority.as_str()),
            ));
        }
        if let Some(expected) = &expect.approvals {
            let actual: Vec<&str> = applicable_steps(def, &ctx)
                .into_iter()
                .map(|step| step.key.as_str())
                .collect();
            if actual != expected.iter().map(String::as_str).collect::<Vec<_>>() {
                problems.push(mismatch(
                    "approvals",
                    list(expected.iter().map(String::as_str)),
                    list(actual),
                ));
            }
        }
        if let Some(status) = &expect.status {
            let first = def.first_status().map(|s| s.key.as_str());
            if first != Some(status.as_str()) {
                problems.push(mismatch("status", quoted(status), optional(first)));
            }
        }
    }
    problems
}

fn quoted(text: &str) -> String {
    format!("\"{text}\"")
}

fn optional(text: Option<&str>) -> String {
    text.map(quoted).unwrap_or_else(|| "none".to_owned())
}

fn list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(quoted).collect();
    format!("[{}]", items.join(", "))
}
