//! Routing precedence, applicable approval steps and definition tests.

#![cfg(test)]

mod common;

use chrono::{TimeZone, Utc};
use handoff_shared::{
    ExprContext, Priority, applicable_steps, parse_definition, route, run_definition_tests,
};
use serde_json::{Map, Value, json};

const ROUTED: &str = r#"
routing:
  - { when: 'category == "software"', team: it }
  - { when: "amount >= 10000", priority: high }
  - { when: "amount >= 50000", priority: urgent, assignee: carol@handoff.local }
  - { team: procurement, priority: normal }
approvals:
  status: approval
  steps:
    - { key: manager, approvers: requester.manager }
    - { key: finance, when: "amount >= 5000", approvers: "role:finance-approver" }
    - { key: urgent_review, when: 'priority == "urgent"', approvers: "team:finance" }
  on_approved: approved
  on_rejected: rejected
"#;

fn definition(extra: &str) -> handoff_shared::Definition {
    let source = format!("{}{ROUTED}{extra}", common::BASE);
    let def = parse_definition(&source).unwrap();
    assert_eq!(handoff_shared::validate_definition(&def), vec![]);
    def
}

fn decide(values: Value) -> (Option<String>, Priority, Option<String>, Vec<String>) {
    let def = definition("");
    let values: Map<String, Value> = values.as_object().unwrap().clone();
    let mut ctx = ExprContext {
        definition: &def,
        fields: &values,
        priority: None,
        requester_email: "alice@handoff.local",
        requester_team: Some("sales"),
        now: Utc.with_ymd_and_hms(2025, 3, 14, 12, 0, 0).unwrap(),
    };
    let outcome = route(&def, &ctx);
    ctx.priority = Some(outcome.priority);
    let steps = applicable_steps(&def, &ctx)
        .iter()
        .map(|s| s.key.clone())
        .collect();
    (outcome.team, outcome.priority, outcome.assignee, steps)
}

#[test]
fn the_first_matching_rule_that_sets_a_property_wins() {
    let cases = [
        (
            json!({ "category": "software", "amount": "100.00" }),
            Some("it"),
            Priority::Normal,
            None,
            vec!["manager"],
        ),
        (
            json!({ "category": "hardware", "amount": "12000.00" }),
            Some("procurement"),
            Priority::High,
            None,
            vec!["manager", "finance"],
        ),
        (
            json!({ "category": "software", "amount": "60000" }),
            Some("it"),
            Priority::High,
            Some("carol@handoff.local"),
            vec!["manager", "finance"],
        ),
        (
            json!({}),
            Some("procurement"),
            Priority::Normal,
            None,
            vec!["manager"],
        ),
    ];
    for (values, team, priority, assignee, steps) in cases {
        let decided = decide(values.clone());
        assert_eq!(decided.0.as_deref(), team, "{values}");
        assert_eq!(decided.1, priority, "{values}");
        assert_eq!(decided.2.as_deref(), assignee, "{values}");
        assert_eq!(decided.3, steps, "{values}");
    }
}

#[test]
fn priority_is_normal_when_no_rule_sets_it() {
    let def = parse_definition(common::BASE).unwrap();
    let values = Map::new();
    let ctx = ExprContext {
        definition: &def,
        fields: &values,
        priority: None,
        requester_email: "alice@handoff.local",
        requester_team: None,
        now: Utc::now(),
    };
    let outcome = route(&def, &ctx);
    assert_eq!(
        (outcome.team, outcome.priority, outcome.assignee),
        (None, Priority::Normal, None)
    );
    assert!(applicable_steps(&def, &ctx).is_empty());
}

#[test]
fn passing_definition_tests_report_nothing() {
    let def = definition(
        "tests:\n  - given: { fields: { title: Laptop, category: hardware, amount: \"12000\", justification: x } }\n    expect: { team: procurement, priority: high, approvals: [manager, finance], status: triage }\n",
    );
    assert_eq!(run_definition_tests(&def, Utc::now()), vec![]);
}

#[test]
fn failing_definition_tests_report_expected_and_actual_at_their_path() {
    let def = definition(
        "tests:\n  - given: { fields: { title: Laptop, category: software, amount: \"100\" } }\n    expect: { team: procurement, priority: high, approvers: [manager, finance], status: approval }\n",
    );
    let found: Vec<String> = run_definition_tests(&def, Utc::now())
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        found,
        [
            r#"tests[0].expect.team: expected team "procurement", got "it""#,
            r#"tests[0].expect.priority: expected priority "high", got "normal""#,
            r#"tests[0].expect.approvals: expected approvals ["manager", "finance"], got ["manager"]"#,
            r#"tests[0].expect.status: expected status "approval", got "triage""#,
        ]
    );
}

#[test]
fn definition_tests_with_invalid_given_fields_report_the_field() {
    let def = definition(
        "tests:\n  - given: { fields: { amount: \"lots\", colour: red } }\n    expect: { team: it }\n",
    );
    let found: Vec<String> = run_definition_tests(&def, Utc::now())
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        found,
        [
            "tests[0].given.fields.title: is required",
            r#"tests[0].given.fields.amount: "lots" is not an amount (e.g. 1250.00)"#,
            r#"tests[0].given.fields.colour: unknown field "colour""#,
        ]
    );
}
