//! Validation of a parsed definition: every rule of DESIGN.md section 3 that the serde shape
//! cannot express, reported all at once with paths.
//!
//! Problems come out in document order because the walk follows the definition's own order
//! (key, name, prefix, fields, statuses, routing, approvals, transitions, sla, actions,
//! tests), each list front to back. Counts are bounded first so that a hostile definition
//! cannot make the walk (or the expression checker) expensive.

use std::collections::HashSet;

use crate::Problem;
use crate::definition::{
    Actor, ApprovalPolicy, Approver, Definition, Field, FieldType, Transition,
};
use crate::expr::{MAX_DEFINITION_STEPS, expression_cost};
use crate::form::{is_email, normalise};
use crate::suggest;

mod automation;

/// Most fields a definition may have.
pub const MAX_FIELDS: usize = 200;
/// Most statuses.
pub const MAX_STATUSES: usize = 50;
/// Most transitions.
pub const MAX_TRANSITIONS: usize = 200;
/// Most routing rules.
pub const MAX_ROUTING_RULES: usize = 50;
/// Most approval steps.
pub const MAX_APPROVAL_STEPS: usize = 20;
/// Most test cases.
pub const MAX_TESTS: usize = 100;
/// Most SLA clocks and actions each (not in the design, but every list needs a bound).
pub const MAX_SLA_OR_ACTIONS: usize = 50;

/// Words a field key may not be, because expressions would read them as something else.
pub const RESERVED_FIELD_KEYS: [&str; 10] = [
    "priority",
    "requester",
    "now",
    "fields",
    "status",
    "number",
    "true",
    "false",
    "null",
    "in",
];

/// Every problem of `def`, in document order; empty when it is valid.
pub fn validate_definition(def: &Definition) -> Vec<Problem> {
    let mut v = Validator {
        def,
        problems: Vec::new(),
        steps: 0,
    };
    if !v.check_bounds() {
        // Past the bounds nothing else is looked at: the point of them is to not do the work.
        return v.problems;
    }
    v.check_header();
    v.check_fields();
    v.check_statuses();
    v.check_routing();
    v.check_approvals();
    v.check_transitions();
    v.check_sla();
    v.check_actions();
    v.problems
}

struct Validator<'d> {
    def: &'d Definition,
    problems: Vec<Problem>,
    /// What the conditions checked so far take on the largest values (`expression_cost`).
    steps: u64,
}

fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_field_key(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Statuses, transitions, steps and clocks use the same key syntax as fields.
fn is_item_key(text: &str) -> bool {
    is_field_key(text) && text.len() <= 64
}

impl<'d> Validator<'d> {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem::new(path, message));
    }

    fn check_bounds(&mut self) -> bool {
        let def = self.def;
        let bounds = [
            ("fields", def.fields.len(), MAX_FIELDS),
            ("statuses", def.statuses.len(), MAX_STATUSES),
            ("routing", def.routing.len(), MAX_ROUTING_RULES),
            (
                "approvals.steps",
                def.approvals.as_ref().map_or(0, |a| a.steps.len()),
                MAX_APPROVAL_STEPS,
            ),
            ("transitions", def.transitions.len(), MAX_TRANSITIONS),
            ("sla", def.sla.len(), MAX_SLA_OR_ACTIONS),
            ("actions", def.actions.len(), MAX_SLA_OR_ACTIONS),
            ("tests", def.tests.len(), MAX_TESTS),
        ];
        let mut ok = true;
        for (path, count, max) in bounds {
            if count > max {
                self.push(
                    path,
                    format!("has {count} entries, at most {max} are allowed"),
                );
                ok = false;
            }
        }
        ok
    }

    fn check_header(&mut self) {
        let def = self.def;
        if !is_slug(&def.key) || def.key.len() > 64 {
            self.push("key", "must be 1 to 64 characters of a-z, 0-9 and -");
        }
        if def.name.trim().is_empty() {
            self.push("name", "must not be empty");
        }
        let prefix_ok = def.prefix.len() >= 2
            && def.prefix.len() <= 10
            && def
                .prefix
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_uppercase())
            && def
                .prefix
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !prefix_ok {
            self.push(
                "prefix",
                "must be 2 to 10 characters of A-Z and 0-9, starting with a letter",
            );
        }
    }

    /// Reports duplicate keys of a list at `<list>[i].key`.
    fn check_unique<'k>(&mut self, list: &str, keys: impl IntoIterator<Item = &'k str>) {
        let mut seen = HashSet::new();
        for (index, key) in keys.into_iter().enumerate() {
            if !seen.insert(key) {
                self.push(
                    format!("{list}[{index}].key"),
                    format!("duplicate key \"{key}\""),
                );
            }
        }
    }

    fn check_expression(&mut self, path: String, src: Option<&str>) {
        let Some(src) = src else { return };
        match expression_cost(src, self.def) {
            Err(message) => self.push(path, message),
            Ok(steps) => {
                let before = self.steps;
                self.steps = before.saturating_add(steps);
                // Reported once, at the condition that crosses the line.
                if before <= MAX_DEFINITION_STEPS && self.steps > MAX_DEFINITION_STEPS {
                    self.push(
                        path,
                        format!(
                            "with the conditions before it, the definition needs more than \
                             {MAX_DEFINITION_STEPS} evaluation steps for one request; simplify \
                             its conditions"
                        ),
                    );
                }
            }
        }
    }

    fn status_ref(&mut self, path: String, key: &str) {
        if self.def.status(key).is_none() {
            let message = suggest::unknown(
                "status",
                key,
                self.def.statuses.iter().map(|s| s.key.as_str()),
            );
            self.push(path, message);
        }
    }

    fn field_ref(&mut self, path: String, key: &str) {
        if self.def.field(key).is_none() {
            let message =
                suggest::unknown("field", key, self.def.fields.iter().map(|f| f.key.as_str()));
            self.push(path, message);
        }
    }

    fn check_fields(&mut self) {
        if self.def.fields.is_empty() {
            self.push("fields", "needs at least one field");
        }
        let def = self.def;
        let mut seen = HashSet::new();
        for (index, field) in def.fields.iter().enumerate() {
            let path = format!("fields[{index}]");
            if !is_item_key(&field.key) {
                self.push(
                    format!("{path}.key"),
                    "must start with a-z and use only a-z, 0-9 and _ (at most 64 characters)",
                );
            } else if RESERVED_FIELD_KEYS.contains(&field.key.as_str()) {
                self.push(
                    format!("{path}.key"),
                    format!(
                        "\"{}\" is reserved in expressions; choose another key",
                        field.key
                    ),
                );
            }
            if !seen.insert(field.key.as_str()) {
                self.push(
                    format!("{path}.key"),
                    format!("duplicate key \"{}\"", field.key),
                );
            }
            if field.label.trim().is_empty() {
                self.push(format!("{path}.label"), "must not be empty");
            }
            self.check_field_options(&path, field);
            self.check_expression(format!("{path}.required_if"), field.required_if.as_deref());
            self.check_expression(format!("{path}.visible_if"), field.visible_if.as_deref());
        }
    }

    fn check_field_options(&mut self, path: &str, field: &Field) {
        let kind = field.kind;
        let choice = matches!(kind, FieldType::Select | FieldType::Multiselect);
        if (field.min.is_some() || field.max.is_some()) && !kind.is_numeric() {
            let which = if field.min.is_some() { "min" } else { "max" };
            self.push(
                format!("{path}.{which}"),
                format!(
                    "min and max apply only to number and money fields, not {}",
                    kind.as_str()
                ),
            );
        }
        if let (Some(min), Some(max)) = (field.min, field.max)
            && min > max
        {
            self.push(
                format!("{path}.min"),
                format!("min {min} is greater than max {max}"),
            );
        }
        if field.max_length.is_some() && !kind.is_text_like() {
            self.push(
                format!("{path}.max_length"),
                format!(
                    "max_length applies only to text-like fields, not {}",
                    kind.as_str()
                ),
            );
        }
        if field.max_length == Some(0) {
            self.push(format!("{path}.max_length"), "must be at least 1");
        }
        if let Some(pattern) = &field.pattern {
            if !kind.is_text_like() {
                self.push(
                    format!("{path}.pattern"),
                    format!(
                        "pattern applies only to text-like fields, not {}",
                        kind.as_str()
                    ),
                );
            } else if pattern.len() > 500 {
                self.push(format!("{path}.pattern"), "must be at most 500 characters");
            } else if let Err(error) = crate::expr::compile_pattern(&format!("^(?:{pattern})$")) {
                self.push(
                    format!("{path}.pattern"),
                    format!(
                        "is not a valid regular expression ({})",
                        regex_reason(&error)
                    ),
                );
            }
        }
        if choice && field.options.is_empty() {
            self.push(
                format!("{path}.options"),
                format!("a {} field needs options", kind.as_str()),
            );
        }
        if !choice && !field.options.is_empty() {
            self.push(
                format!("{path}.options"),
                format!(
                    "options apply only to select and multiselect fields, not {}",
                    kind.as_str()
                ),
            );
        }
        let mut seen = HashSet::new();
        for (index, option) in field.options.iter().enumerate() {
            if option.trim().is_empty() {
                self.push(format!("{path}.options[{index}]"), "must not be empty");
            } else if !seen.insert(option.as_str()) {
                self.push(
                    format!("{path}.options[{index}]"),
                    format!("duplicate option \"{option}\""),
                );
            }
        }
        if kind != FieldType::Money && field.currency.is_some() {
            self.push(
                format!("{path}.currency"),
                "currency applies only to money fields",
            );
        }
        if let Some(currency) = &field.currency
            && (currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()))
        {
            self.push(
                format!("{path}.currency"),
                "must be a three-letter ISO code like USD",
            );
        }
        if let Some(default) = &field.default
            && !default.is_null()
            && let Err(message) = normalise(field, default)
        {
            self.push(format!("{path}.default"), message);
        }
    }

    fn check_statuses(&mut self) {
        let def = self.def;
        if def.statuses.is_empty() {
            self.push("statuses", "needs at least one status");
        } else if !def
            .statuses
            .iter()
            .any(|s| s.category == crate::definition::StatusCategory::Done)
        {
            self.push("statuses", "needs at least one status of category done");
        }
        for (index, status) in def.statuses.iter().enumerate() {
            if !is_item_key(&status.key) {
                self.push(
                    format!("statuses[{index}].key"),
                    "must start with a-z and use only a-z, 0-9 and _ (at most 64 characters)",
                );
            }
            if status.label.trim().is_empty() {
                self.push(format!("statuses[{index}].label"), "must not be empty");
            }
        }
        self.check_unique("statuses", def.statuses.iter().map(|s| s.key.as_str()));
    }

    fn check_routing(&mut self) {
        let def = self.def;
        for (index, rule) in def.routing.iter().enumerate() {
            let path = format!("routing[{index}]");
            self.check_expression(format!("{path}.when"), rule.when.as_deref());
            if let Some(team) = &rule.team
                && !is_slug(team)
            {
                self.push(
                    format!("{path}.team"),
                    "must be a team key (a-z, 0-9 and -)",
                );
            }
            if let Some(assignee) = &rule.assignee
                && !is_email(assignee)
            {
                self.push(format!("{path}.assignee"), "must be a user's email address");
            }
            if rule.team.is_none() && rule.priority.is_none() && rule.assignee.is_none() {
                self.push(path, "sets nothing: give a team, a priority or an assignee");
            }
        }
    }

    fn check_approvals(&mut self) {
        let def = self.def;
        let Some(approvals) = &def.approvals else {
            return;
        };
        self.status_ref("approvals.status".to_owned(), &approvals.status);
        if approvals.steps.is_empty() {
            self.push("approvals.steps", "needs at least one step");
        }
        for (index, step) in approvals.steps.iter().enumerate() {
            let path = format!("approvals.steps[{index}]");
            if !is_item_key(&step.key) {
                self.push(
                    format!("{path}.key"),
                    "must start with a-z and use only a-z, 0-9 and _ (at most 64 characters)",
                );
            }
            self.check_expression(format!("{path}.when"), step.when.as_deref());
            if step.approvers.is_empty() {
                self.push(format!("{path}.approvers"), "needs at least one approver");
            }
            let single = step.approvers.len() == 1;
            for (i, approver) in step.approvers.iter().enumerate() {
                let at = if single {
                    format!("{path}.approvers")
                } else {
                    format!("{path}.approvers[{i}]")
                };
                self.check_approver(at, approver);
            }
            if let ApprovalPolicy::Quorum(n) = step.policy {
                // Only fixed approvers can be counted at publish time; roles and teams are
                // resolved when the step starts.
                let countable = step.approvers.iter().all(|a| {
                    matches!(
                        a,
                        Approver::User(_) | Approver::Field(_) | Approver::RequesterManager
                    )
                });
                if countable && n as usize > step.approvers.len() {
                    self.push(
                        format!("{path}.policy"),
                        format!(
                            "quorum:{n} needs more approvers than the {} listed",
                            step.approvers.len()
                        ),
                    );
                }
            }
        }
        self.check_unique(
            "approvals.steps",
            approvals.steps.iter().map(|s| s.key.as_str()),
        );
        self.status_ref("approvals.on_approved".to_owned(), &approvals.on_approved);
        self.status_ref("approvals.on_rejected".to_owned(), &approvals.on_rejected);
        for (index, key) in approvals.reapprove_on_change.iter().enumerate() {
            self.field_ref(format!("approvals.reapprove_on_change[{index}]"), key);
        }
    }

    fn check_approver(&mut self, path: String, approver: &Approver) {
        match approver {
            Approver::RequesterManager => {}
            Approver::Role(key) | Approver::Team(key) => {
                if !is_slug(key) {
                    self.push(
                        path,
                        format!("\"{approver}\": the key must use only a-z, 0-9 and -"),
                    );
                }
            }
            Approver::User(email) => {
                if !is_email(email) {
                    self.push(path, format!("\"{approver}\": not an email address"));
                }
            }
            Approver::Field(key) => match self.def.field(key) {
                Some(field) if field.kind == FieldType::User => {}
                Some(field) => self.push(
                    path,
                    format!(
                        "field \"{key}\" is a {} field; approvers need a user field",
                        field.kind.as_str()
                    ),
                ),
                None => self.field_ref(path, key),
            },
        }
    }

    fn check_transitions(&mut self) {
        let def = self.def;
        for (index, transition) in def.transitions.iter().enumerate() {
            self.check_transition(format!("transitions[{index}]"), transition);
        }
        self.check_unique(
            "transitions",
            def.transitions.iter().map(|t| t.key.as_str()),
        );
    }

    fn check_transition(&mut self, path: String, transition: &Transition) {
        if !is_item_key(&transition.key) {
            self.push(
                format!("{path}.key"),
                "must start with a-z and use only a-z, 0-9 and _ (at most 64 characters)",
            );
        }
        if transition.label.trim().is_empty() {
            self.push(format!("{path}.label"), "must not be empty");
        }
        if transition.from.is_empty() {
            self.push(format!("{path}.from"), "needs at least one status");
        }
        let single = transition.from.len() == 1;
        for (i, from) in transition.from.iter().enumerate() {
            let at = if single {
                format!("{path}.from")
            } else {
                format!("{path}.from[{i}]")
            };
            self.status_ref(at, from);
        }
        self.status_ref(format!("{path}.to"), &transition.to);
        if transition.by.is_empty() {
            self.push(format!("{path}.by"), "needs at least one actor");
        }
        let single = transition.by.len() == 1;
        for (i, actor) in transition.by.iter().enumerate() {
            if let Actor::Role(key) = actor
                && !is_slug(key)
            {
                let at = if single {
                    format!("{path}.by")
                } else {
                    format!("{path}.by[{i}]")
                };
                self.push(
                    at,
                    format!("\"{actor}\": the role key must use only a-z, 0-9 and -"),
                );
            }
        }
        for (i, key) in transition.requires.iter().enumerate() {
            self.field_ref(format!("{path}.requires[{i}]"), key);
        }
        self.check_expression(format!("{path}.guard"), transition.guard.as_deref());
    }
}

/// The last line of a regex error: the reason without the multi-line source excerpt.
fn regex_reason(error: &regex::Error) -> String {
    let text = error.to_string();
    let last = text.lines().last().unwrap_or_default();
    last.strip_prefix("error: ").unwrap_or(last).to_owned()
}
