//! Form validation, per field type and rule.

#![cfg(test)]

mod common;

use chrono::{TimeZone, Utc};
use handoff_shared::{FormContext, FormMode, Problem, validate_fields, visible_fields};
use serde_json::{Map, Value, json};

fn form_ctx() -> FormContext<'static> {
    FormContext {
        priority: None,
        requester_email: "alice@handoff.local",
        requester_team: Some("sales"),
        now: Utc.with_ymd_and_hms(2025, 3, 14, 12, 0, 0).unwrap(),
    }
}

fn validate(input: Value, mode: FormMode) -> Result<Map<String, Value>, Vec<String>> {
    validate_fields(&common::base(), &input, &form_ctx(), mode)
        .map_err(|problems| problems.iter().map(Problem::to_string).collect())
}

/// Validates `{title: "T", <key>: value}` at intake and returns the stored value or the problems.
fn one(key: &str, value: Value) -> Result<Value, Vec<String>> {
    let mut input = json!({ "title": "T" });
    input[key] = value;
    validate(input, FormMode::Intake).map(|stored| stored.get(key).cloned().unwrap_or(Value::Null))
}

#[test]
fn input_must_be_an_object() {
    assert_eq!(
        validate(json!([1]), FormMode::Intake),
        Err(vec!["fields: must be an object of field values".to_owned()])
    );
}

#[test]
fn values_are_checked_and_normalised_per_type() {
    let ok = [
        ("title", json!("Laptop"), json!("Laptop")),
        ("amount", json!(1250), json!("1250.00")),
        ("amount", json!("1250.00"), json!("1250.00")),
        ("amount", json!("1250.5"), json!("1250.50")),
        ("amount", json!(1250.125), json!("1250.125")),
        ("amount", json!("0.1"), json!("0.10")),
        ("quantity", json!(3), json!(3)),
        ("quantity", json!("4"), json!(4)),
        ("quantity", json!(2.5), json!(2.5)),
        ("urgent", json!(true), json!(true)),
        ("category", json!("software"), json!("software")),
        (
            "tags",
            json!(["urgent", "travel"]),
            json!(["urgent", "travel"]),
        ),
        (
            "owner",
            json!("bob@handoff.local"),
            json!("bob@handoff.local"),
        ),
        ("needed_by", json!("2025-04-01"), json!("2025-04-01")),
        ("category", json!(null), Value::Null),
        ("tags", json!([]), Value::Null),
    ];
    for (key, input, stored) in ok {
        assert_eq!(one(key, input.clone()), Ok(stored), "{key} = {input}");
    }
}

#[test]
fn values_of_the_wrong_shape_are_problems_at_their_path() {
    let bad = [
        ("title", json!(5), "fields.title: must be text (a string)"),
        (
            "title",
            json!("x".repeat(21)),
            "fields.title: must be at most 20 characters",
        ),
        (
            "amount",
            json!("12,50"),
            "fields.amount: \"12,50\" is not an amount (e.g. 1250.00)",
        ),
        (
            "amount",
            json!("1e3"),
            "fields.amount: \"1e3\" is not an amount (e.g. 1250.00)",
        ),
        (
            "amount",
            json!("1.23456"),
            "fields.amount: must have at most 4 digits after the decimal point",
        ),
        ("amount", json!(-1), "fields.amount: must be at least 0"),
        (
            "amount",
            json!("100000.01"),
            "fields.amount: must be at most 100000",
        ),
        ("quantity", json!(0), "fields.quantity: must be at least 1"),
        (
            "quantity",
            json!("three"),
            "fields.quantity: \"three\" is not a number",
        ),
        (
            "urgent",
            json!("yes"),
            "fields.urgent: must be true or false",
        ),
        (
            "category",
            json!("sofware"),
            "fields.category: \"sofware\" is not one of the options (did you mean \"software\"?)",
        ),
        (
            "tags",
            json!("urgent"),
            "fields.tags: must be a list of options",
        ),
        (
            "tags",
            json!(["urgent", "urgent"]),
            "fields.tags: \"urgent\" is chosen more than once",
        ),
        (
            "tags",
            json!(["x"]),
            "fields.tags: \"x\" is not one of the options: urgent, travel, recurring",
        ),
        (
            "owner",
            json!("bob"),
            "fields.owner: \"bob\" is not a valid email address",
        ),
        (
            "owner",
            json!("bob@localhost"),
            "fields.owner: \"bob@localhost\" is not a valid email address",
        ),
        (
            "needed_by",
            json!("2025-4-1"),
            "fields.needed_by: \"2025-4-1\" is not a date (YYYY-MM-DD)",
        ),
        (
            "needed_by",
            json!("2025-02-30"),
            "fields.needed_by: \"2025-02-30\" is not a date (YYYY-MM-DD)",
        ),
    ];
    for (key, input, expected) in bad {
        assert_eq!(
            one(key, input.clone()),
            Err(vec![expected.to_owned()]),
            "{key} = {input}"
        );
    }
}

#[test]
fn money_rejects_floats_with_too_many_places() {
    assert_eq!(
        one("amount", json!(0.12345)),
        Err(vec![
            "fields.amount: must have at most 4 digits after the decimal point".to_owned()
        ])
    );
    // Trailing zeros beyond four places are not precision, only notation.
    assert_eq!(one("amount", json!("3.500000")), Ok(json!("3.50")));
}

#[test]
fn money_sent_as_a_json_number_keeps_every_digit() {
    let def = handoff_shared::parse_definition(
        "key: m\nname: M\nprefix: M\nfields:\n  - { key: total, label: Total, type: money }\n\
         statuses:\n  - { key: open, label: Open, category: open }\n",
    )
    .unwrap();
    // The number arrives as JSON text, as it does over HTTP: it must never pass through f64.
    let total = |text: &str| {
        let input: Value = serde_json::from_str(&format!("{{\"total\": {text}}}")).unwrap();
        validate_fields(&def, &input, &form_ctx(), FormMode::Intake)
            .map(|stored| stored["total"].clone())
            .map_err(|problems| problems.iter().map(Problem::to_string).collect::<Vec<_>>())
    };
    assert_eq!(
        total("12345678901234567890.5"),
        Ok(json!("12345678901234567890.50"))
    );
    assert_eq!(total("0.0001"), Ok(json!("0.0001")));
    let huge = total("1e40");
    assert!(
        matches!(&huge, Err(p) if p.len() == 1 && p[0].ends_with("is out of range")),
        "{huge:?}"
    );
}

#[test]
fn numbers_given_as_text_keep_every_digit() {
    assert_eq!(
        one("quantity", json!("12345678901234567890.5")),
        Ok(serde_json::from_str("12345678901234567890.5").unwrap())
    );
    assert_eq!(
        one("quantity", json!("NaN")),
        Err(vec!["fields.quantity: \"NaN\" is not a number".to_owned()])
    );
}

#[test]
fn control_characters_are_refused_in_text_but_line_breaks_are_kept() {
    for bad in ["a\u{0}b", "bell\u{7}", "esc\u{1b}[31m", "c1\u{85}"] {
        let got = one("title", json!(bad));
        assert!(
            matches!(&got, Err(p) if p.len() == 1 && p[0].starts_with("fields.title: must not contain control characters")),
            "{bad:?}: {got:?}"
        );
    }
    assert_eq!(
        one("title", json!("two\tcolumns")),
        Ok(json!("two\tcolumns"))
    );
}

#[test]
fn required_fields_must_have_a_value() {
    for empty in [json!({}), json!({ "title": "" }), json!({ "title": null })] {
        assert_eq!(
            validate(empty.clone(), FormMode::Intake),
            Err(vec!["fields.title: is required".to_owned()]),
            "{empty}"
        );
    }
}

#[test]
fn required_if_applies_only_when_its_condition_holds() {
    assert!(validate(json!({ "title": "T", "amount": "1000" }), FormMode::Intake).is_ok());
    assert_eq!(
        validate(json!({ "title": "T", "amount": "5000" }), FormMode::Intake),
        Err(vec!["fields.justification: is required".to_owned()])
    );
}

#[test]
fn hidden_fields_are_dropped_and_not_required() {
    let stored = validate(
        json!({ "title": "T", "amount": "10", "justification": "because" }),
        FormMode::Intake,
    )
    .unwrap();
    assert!(!stored.contains_key("justification"));
    let stored = validate(
        json!({ "title": "T", "amount": "2000", "justification": "because" }),
        FormMode::Intake,
    )
    .unwrap();
    assert_eq!(stored["justification"], json!("because"));
}

#[test]
fn visible_fields_follow_the_conditions() {
    let def = common::base();
    let small = visible_fields(
        &def,
        &json!({ "amount": "10" }).as_object().unwrap().clone(),
        &form_ctx(),
    );
    assert!(!small.contains(&"justification".to_owned()));
    let large = visible_fields(
        &def,
        &json!({ "amount": "1500.00" }).as_object().unwrap().clone(),
        &form_ctx(),
    );
    assert!(large.contains(&"justification".to_owned()));
    assert_eq!(large.len(), def.fields.len());
}

#[test]
fn unknown_keys_are_problems_with_a_suggestion() {
    assert_eq!(
        validate(json!({ "title": "T", "amout": 5 }), FormMode::Intake),
        Err(vec![
            r#"fields.amout: unknown field "amout" (did you mean "amount"?)"#.to_owned()
        ])
    );
}

#[test]
fn requester_cannot_fill_fields_outside_the_intake_form() {
    assert_eq!(
        validate(
            json!({ "title": "T", "po_number": "PO-1" }),
            FormMode::Intake
        ),
        Err(vec![
            "fields.po_number: is not part of the intake form".to_owned()
        ])
    );
    let stored = validate(
        json!({ "title": "T", "po_number": "PO-1" }),
        FormMode::Update,
    )
    .unwrap();
    assert_eq!(stored["po_number"], json!("PO-1"));
}

#[test]
fn patterns_must_match_the_whole_value() {
    assert_eq!(
        validate(
            json!({ "title": "T", "po_number": "xPO-1" }),
            FormMode::Update
        ),
        Err(vec![
            "fields.po_number: does not match the pattern PO-[0-9]+".to_owned()
        ])
    );
}

#[test]
fn all_problems_are_reported_in_field_order() {
    let found = validate(
        json!({ "zzz": 1, "amount": "x", "title": "" , "urgent": 1}),
        FormMode::Intake,
    )
    .unwrap_err();
    let paths: Vec<&str> = found.iter().map(|p| p.split(':').next().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "fields.title",
            "fields.amount",
            "fields.urgent",
            "fields.zzz"
        ]
    );
}

#[test]
fn defaults_fill_absent_values() {
    let source = common::with("type: boolean }", "type: boolean, default: true }");
    let def = handoff_shared::parse_definition(&source).unwrap();
    let stored = validate_fields(
        &def,
        &json!({ "title": "T" }),
        &form_ctx(),
        FormMode::Intake,
    )
    .unwrap();
    assert_eq!(stored["urgent"], json!(true));
    let stored = validate_fields(
        &def,
        &json!({ "title": "T", "urgent": false }),
        &form_ctx(),
        FormMode::Intake,
    )
    .unwrap();
    assert_eq!(stored["urgent"], json!(false));
}
