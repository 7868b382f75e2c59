//! Expression checking and evaluation.

#![cfg(test)]

mod common;

use chrono::{TimeZone, Utc};
use handoff_shared::expr::{ExprContext, ExprError, check_expression, eval_bool, eval_condition};
use handoff_shared::{Definition, Priority};
use serde_json::{Map, Value, json};

fn fields(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn ctx<'a>(def: &'a Definition, fields: &'a Map<String, Value>) -> ExprContext<'a> {
    ExprContext {
        definition: def,
        fields,
        priority: Some(Priority::High),
        requester_email: "alice@handoff.local",
        requester_team: Some("sales"),
        now: Utc.with_ymd_and_hms(2025, 3, 14, 12, 0, 0).unwrap(),
    }
}

#[test]
fn check_accepts_well_typed_conditions() {
    let def = common::base();
    for src in [
        "amount >= 1000",
        "amount >= 1000.5 && quantity < 3",
        "category == \"software\" || category in [\"hardware\"]",
        "\"urgent\" in tags && size(tags) > 1",
        "tags.exists(t, t.startsWith(\"tr\"))",
        "title.contains(\"x\") && title.lowerAscii().endsWith(\"y\")",
        "fields.amount > 10 && has(fields.title)",
        "requester.team == \"sales\" && requester.email.endsWith(\"@handoff.local\")",
        "priority == \"high\"",
        "urgent",
        "!urgent",
        "now > timestamp(\"2020-01-01T00:00:00Z\")",
        "amount == null",
        "title.matches(\"^[A-Z]\")",
    ] {
        assert_eq!(check_expression(src, &def), Ok(()), "{src}");
    }
}

#[test]
fn check_refuses_unknown_identifiers_with_a_suggestion() {
    let def = common::base();
    let cases = [
        (
            "amout >= 1000",
            r#"unknown identifier "amout" (did you mean "amount"?)"#,
        ),
        (
            "fields.amout >= 1000",
            r#"unknown field "amout" (did you mean "amount"?)"#,
        ),
        (
            "requester.emial == \"x\"",
            r#"unknown requester property "emial" (did you mean "email"?)"#,
        ),
        ("zzz", r#"unknown identifier "zzz""#),
        (
            "title.startWith(\"a\")",
            r#"unknown function "startWith" (did you mean "startsWith"?)"#,
        ),
    ];
    for (src, expected) in cases {
        assert_eq!(
            check_expression(src, &def),
            Err(expected.to_owned()),
            "{src}"
        );
    }
}

#[test]
fn check_refuses_type_mismatches_and_non_boolean_results() {
    let def = common::base();
    let cases = [
        ("amount == \"x\"", "cannot compare a number with a string"),
        (
            "category > 3",
            "cannot compare a string with a number using >",
        ),
        (
            "title && true",
            "operator && needs true/false operands, got a string",
        ),
        (
            "amount + 1",
            "the expression must give true or false, but it gives a number",
        ),
        (
            "title",
            "the expression must give true or false, but it gives a string",
        ),
        ("3 in tags", "cannot look for a number in a list(string)"),
        ("size(urgent) > 1", "size() does not apply to a bool"),
        (
            "title.contains(3)",
            "contains() needs a string argument, got a number",
        ),
    ];
    for (src, expected) in cases {
        assert_eq!(
            check_expression(src, &def),
            Err(expected.to_owned()),
            "{src}"
        );
    }
    let syntax = check_expression("amount >= ", &def).unwrap_err();
    assert!(syntax.starts_with("syntax error"), "{syntax}");
}

#[test]
fn expressions_over_the_size_or_depth_bounds_are_refused_before_parsing() {
    let def = common::base();
    let empty = Map::new();
    let long = format!("title == \"{}\"", "x".repeat(1000));
    assert_eq!(
        eval_bool(&long, &ctx(&def, &empty)),
        Err(ExprError::TooLong)
    );
    let deep = format!("{}true{}", "(".repeat(40), ")".repeat(40));
    assert_eq!(
        eval_bool(&deep, &ctx(&def, &empty)),
        Err(ExprError::TooDeep)
    );
    assert!(check_expression(&deep, &def).is_err());
    // Unbracketed nesting is bounded by the parser's recursion limit instead; whatever the
    // outcome, it must neither panic nor overflow the stack.
    let nots = format!("{}true", "!".repeat(900));
    let _ = eval_bool(&nots, &ctx(&def, &empty));
    let chain = vec!["urgent"; 300].join(" || ");
    let _ = eval_bool(&chain, &ctx(&def, &empty));
}

#[test]
fn money_compares_as_a_number_with_decimals() {
    let def = common::base();
    let cases = [
        ("1500.50", "amount >= 1000", true),
        ("1500.50", "amount == 1500.5", true),
        ("999.99", "amount >= 1000", false),
        ("1000.00", "amount >= 1000", true),
        ("1000.00", "amount == 1000", true),
        ("1000.0001", "amount > 1000", true),
        ("1000.0001", "amount > 1000.0", true),
    ];
    for (amount, src, expected) in cases {
        let values = fields(json!({ "amount": amount }));
        assert_eq!(
            eval_bool(src, &ctx(&def, &values)),
            Ok(expected),
            "{amount} {src}"
        );
    }
}

#[test]
fn missing_fields_are_null_and_failed_conditions_do_not_match() {
    let def = common::base();
    let empty = Map::new();
    let context = ctx(&def, &empty);
    assert_eq!(eval_bool("amount == null", &context), Ok(true));
    assert_eq!(eval_bool("fields.title == null", &context), Ok(true));
    assert!(matches!(
        eval_bool("amount >= 1000", &context),
        Err(ExprError::Eval(_))
    ));
    assert!(!eval_condition(Some("amount >= 1000"), &context));
    assert!(eval_condition(None, &context));
    assert!(matches!(
        eval_bool("1 + 1", &context),
        Err(ExprError::NotBoolean(_))
    ));
}

#[test]
fn lists_strings_and_the_request_are_in_scope() {
    let def = common::base();
    let values = fields(json!({
        "title": "New Laptop", "category": "hardware", "tags": ["urgent", "travel"],
        "quantity": 3, "urgent": true, "needed_by": "2025-04-01"
    }));
    let context = ctx(&def, &values);
    for (src, expected) in [
        ("\"urgent\" in tags", true),
        ("\"recurring\" in tags", false),
        ("category in [\"software\", \"hardware\"]", true),
        ("title.startsWith(\"New\") && title.contains(\"Lap\")", true),
        ("title.lowerAscii() == \"new laptop\"", true),
        ("size(title) == 10", true),
        ("tags.exists(t, t == \"travel\")", true),
        ("tags.all(t, t.size() > 6)", false),
        ("quantity * 2 == 6 && urgent", true),
        ("priority == \"high\"", true),
        (
            "requester.email == \"alice@handoff.local\" && requester.team == \"sales\"",
            true,
        ),
        ("now > timestamp(\"2025-01-01T00:00:00Z\")", true),
        (
            "timestamp(needed_by + \"T00:00:00Z\") - now < duration(\"720h\")",
            true,
        ),
    ] {
        assert_eq!(eval_bool(src, &context), Ok(expected), "{src}");
    }
}

/// Ten small numbers, written out, as a hostile rule would.
const TEN: &str = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";

#[test]
fn hostile_expressions_run_out_of_steps_instead_of_running_on() {
    let def = common::base();
    let values = fields(json!({"title": "x".repeat(20), "justification": "y".repeat(5_000)}));
    let context = ctx(&def, &values);
    for src in [
        // Ten thousand iterations from a 135-character rule.
        format!("{TEN}.all(a, {TEN}.all(b, {TEN}.all(c, {TEN}.all(d, a + b + c + d > 0))))"),
        // Lists of lists: 32,768 elements built by nested `map`.
        "[1,2,3,4,5,6,7,8].map(a, [1,2,3,4,5,6,7,8].map(b, [1,2,3,4,5,6,7,8].map(c, \
         [1,2,3,4,5,6,7,8].map(d, [1,2,3,4,5,6,7,8])))).size() > 0"
            .to_owned(),
        // A long text split into characters inside a loop over its characters.
        "justification.split('').exists(a, justification.split('').exists(b, a != b))".to_owned(),
        // Reading a long text again on every iteration.
        format!("{TEN}.all(a, {TEN}.all(b, justification.contains('z') || a > 0))"),
    ] {
        assert_eq!(
            eval_bool(&src, &context),
            Err(ExprError::TooCostly),
            "{src}"
        );
        assert!(!eval_condition(Some(&src), &context), "{src}");
    }
}

#[test]
fn a_spent_budget_is_not_hidden_by_an_absorbing_operator() {
    let def = common::base();
    let empty = Map::new();
    let bomb = format!("{TEN}.all(a, {TEN}.all(b, {TEN}.all(c, {TEN}.all(d, a > 0))))");
    for src in [
        format!("{bomb} || true"),
        format!("[{bomb}, true].exists(x, x)"),
    ] {
        assert_eq!(
            eval_bool(&src, &ctx(&def, &empty)),
            Err(ExprError::TooCostly),
            "{src}"
        );
    }
}

#[test]
fn metering_keeps_the_semantics_of_macros() {
    let def = common::base();
    let values = fields(json!({"tags": ["urgent", "travel"], "quantity": 0}));
    let context = ctx(&def, &values);
    for (src, expected) in [
        // An error beside a deciding element is absorbed by `exists` and `all`.
        ("[0, 1].exists(x, 1 / x == 1)", true),
        ("[0, 1].all(x, 1 / x > 5)", false),
        ("tags.map(t, t + '!') == ['urgent!', 'travel!']", true),
        ("tags.filter(t, t.startsWith('u')) == ['urgent']", true),
        ("[1, 2, 3].exists_one(x, x > 2)", true),
        ("{'a': 1, 'b': 2}.all(k, k.size() == 1)", true),
        ("has(fields.tags) && size(fields.tags) == 2", true),
        ("tags.exists(t, t.matches('^tr'))", true),
    ] {
        assert_eq!(eval_bool(src, &context), Ok(expected), "{src}");
    }
    assert!(matches!(
        eval_bool("[1, 2].all(x, 1 / quantity > 0)", &context),
        Err(ExprError::Eval(_))
    ));
}

#[test]
fn the_check_refuses_rules_that_run_out_on_the_largest_values() {
    let def = common::base();
    let nested = format!("{TEN}.all(a, {TEN}.all(b, {TEN}.all(c, {TEN}.all(d, a > 0))))");
    let message = check_expression(&nested, &def).unwrap_err();
    assert!(message.contains("evaluation steps"), "{message}");
    // The cost comes from the data: `justification` has no max_length, so the check binds
    // a long text; splitting it inside a loop over it runs out.
    let split = "justification.split('').exists(a, justification.split('').exists(b, a != b))";
    let message = check_expression(split, &def).unwrap_err();
    assert!(message.contains("evaluation steps"), "{message}");
    // The same shape over a short field passes: `title` is at most 20 characters.
    assert_eq!(
        check_expression(
            "title.split('').exists(a, title.split('').exists(b, a != b))",
            &def
        ),
        Ok(())
    );
}

#[test]
fn patterns_that_compile_too_large_are_refused() {
    let def = common::base();
    let src = "title.matches('\\\\w{200}\\\\w{200}')";
    let message = check_expression(src, &def).unwrap_err();
    assert!(message.contains("too large"), "{message}");
    let values = fields(json!({"title": "x"}));
    assert!(matches!(
        eval_bool(src, &ctx(&def, &values)),
        Err(ExprError::Eval(_))
    ));
    assert_eq!(
        check_expression("title.matches('^[A-Z]+-[0-9]+$')", &def),
        Ok(())
    );
}

#[test]
fn reading_one_field_does_not_cost_the_others() {
    let def = common::base();
    // A long text in one field; rules about the other fields stay cheap.
    let values = fields(json!({"justification": "y".repeat(500_000), "title": "Chairs"}));
    let context = ctx(&def, &values);
    for src in [
        "fields[\"title\"] == \"Chairs\"",
        "fields.title == \"Chairs\"",
        "title.startsWith(\"Ch\")",
    ] {
        assert_eq!(eval_bool(src, &context), Ok(true), "{src}");
    }
    // Reading the long text itself costs its length.
    assert_eq!(
        eval_bool("justification.contains(\"z\")", &context),
        Err(ExprError::TooCostly)
    );
}
