//! Parsing YAML and JSON, shape errors with paths, and the size bound.

#![cfg(test)]

mod common;

use handoff_shared::{MAX_DEFINITION_BYTES, check_definition, parse_definition};

#[test]
fn yaml_and_json_parse_to_the_same_definition() {
    let from_yaml = parse_definition(common::BASE).unwrap();
    let json = serde_json::to_string(&from_yaml).unwrap();
    assert!(json.starts_with('{'));
    assert_eq!(parse_definition(&format!("  \n{json}")).unwrap(), from_yaml);
}

#[test]
fn one_or_many_values_accept_both_spellings() {
    let def = parse_definition(&common::with("from: triage", "from: [triage, approval]")).unwrap();
    assert_eq!(def.transitions[0].from, ["triage", "approval"]);
    assert_eq!(def.transitions[0].by, [handoff_shared::Actor::Team]);
}

#[test]
fn shape_errors_name_the_path_and_the_location() {
    let cases = [
        (common::with("type: boolean", "type: bool"), "fields[5].type: unknown variant `bool`", "(line 11, column 41)"),
        (common::with("to: approval }", "to: approval, colour: red }"), "transitions[0].colour: unknown field `colour`", "(line 22, column 59)"),
        (
            r#"{"key": "a", "name": "A", "prefix": "AA", "fields": [{"key": "x", "label": "X", "type": "text", "required": "yes"}], "statuses": []}"#.to_owned(),
            "fields[0].required: invalid type: string \"yes\", expected a boolean",
            "line 1",
        ),
        ("key: a\nname: A\n".to_owned(), ": missing field `prefix`", ""),
        ("{\"key\": ".to_owned(), "", "line 1"),
    ];
    for (source, start, location) in cases {
        let problems = parse_definition(&source).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        let text = format!("{}: {}", problems[0].path, problems[0].message);
        assert!(
            text.starts_with(start),
            "{text:?} should start with {start:?}"
        );
        assert!(
            text.contains(location),
            "{text:?} should contain {location:?}"
        );
    }
}

#[test]
fn definitions_over_the_size_bound_are_refused_unread() {
    let source = format!("{}#{}", common::BASE, "x".repeat(MAX_DEFINITION_BYTES));
    let problems = parse_definition(&source).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].path, "");
    assert!(problems[0].message.contains("at most 262144"));
}

#[test]
fn the_design_example_with_a_misspelt_status_reports_it_exactly() {
    let source = common::with("to: approval", "to: aproved");
    let problems: Vec<String> = check_definition(&source)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        problems,
        [r#"transitions[0].to: unknown status "aproved" (did you mean "approved"?)"#]
    );
}
