//! Every shipped template must publish cleanly: parse, validate and pass its own tests.

#![cfg(test)]

use handoff_shared::{check_definition, parse_definition};

const TEMPLATES: [(&str, &str, &str); 5] = [
    (
        "it-access",
        "ITA",
        include_str!("../../templates/it-access.yaml"),
    ),
    (
        "purchase-request",
        "PUR",
        include_str!("../../templates/purchase-request.yaml"),
    ),
    (
        "vendor-onboarding",
        "VEN",
        include_str!("../../templates/vendor-onboarding.yaml"),
    ),
    (
        "discount-approval",
        "DIS",
        include_str!("../../templates/discount-approval.yaml"),
    ),
    (
        "legal-intake",
        "LEG",
        include_str!("../../templates/legal-intake.yaml"),
    ),
];

#[test]
fn every_template_passes_check_definition() {
    for (key, prefix, source) in TEMPLATES {
        let definition = match check_definition(source) {
            Ok(definition) => definition,
            Err(problems) => panic!("{key}: {problems:#?}"),
        };
        assert_eq!(definition.key, key);
        assert_eq!(definition.prefix, prefix);
        assert!(!definition.tests.is_empty(), "{key} has tests");
        assert!(
            definition.statuses.iter().any(|s| s.key == "needs_info"),
            "{key} has a needs_info status"
        );
    }
}

#[test]
fn every_template_round_trips_through_json() {
    for (key, _, source) in TEMPLATES {
        let definition = parse_definition(source).unwrap();
        let json = serde_json::to_string_pretty(&definition).unwrap();
        let again = check_definition(&json).unwrap_or_else(|p| panic!("{key}: {p:#?}"));
        assert_eq!(again, definition, "{key}");
    }
}

#[test]
fn a_template_with_a_misspelt_status_names_the_path_and_suggests_the_fix() {
    let source = include_str!("../../templates/purchase-request.yaml")
        .replace("to: approval, by: team }", "to: aproval, by: team }");
    let problems = check_definition(&source).unwrap_err();
    assert_eq!(
        problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [r#"transitions[0].to: unknown status "aproval" (did you mean "approval"?)"#]
    );
}
