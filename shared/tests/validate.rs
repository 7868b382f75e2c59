//! One sentence-named test per validation rule, each a table of (change, expected problem).

#![cfg(test)]

mod common;

use common::{BASE, problems, with};

/// Asserts that each mutation of the base definition yields exactly the expected problems.
fn check(cases: &[(&str, &str, &[&str])]) {
    for (old, new, expected) in cases {
        let source = if old.is_empty() {
            format!("{BASE}{new}")
        } else {
            with(old, new)
        };
        assert_eq!(
            problems(&source),
            *expected,
            "replacing {old:?} with {new:?}"
        );
    }
}

#[test]
fn the_base_definition_is_valid() {
    assert_eq!(problems(BASE), Vec::<String>::new());
}

#[test]
fn misspelt_status_reference_suggests_the_closest_status() {
    check(&[
        (
            "to: approval",
            "to: aproved",
            &[r#"transitions[0].to: unknown status "aproved" (did you mean "approved"?)"#],
        ),
        (
            "from: triage",
            "from: [triage, apprval]",
            &[r#"transitions[0].from[1]: unknown status "apprval" (did you mean "approval"?)"#],
        ),
        (
            "from: triage",
            "from: zzz",
            &[r#"transitions[0].from: unknown status "zzz""#],
        ),
    ]);
}

#[test]
fn definition_key_prefix_and_name_have_a_syntax() {
    check(&[
        (
            "key: purchase",
            "key: Purchase_1",
            &["key: must be 1 to 64 characters of a-z, 0-9 and -"],
        ),
        (
            "prefix: PUR",
            "prefix: P",
            &["prefix: must be 2 to 10 characters of A-Z and 0-9, starting with a letter"],
        ),
        (
            "prefix: PUR",
            "prefix: 1PUR",
            &["prefix: must be 2 to 10 characters of A-Z and 0-9, starting with a letter"],
        ),
        (
            "prefix: PUR",
            "prefix: ABCDEFGHIJK",
            &["prefix: must be 2 to 10 characters of A-Z and 0-9, starting with a letter"],
        ),
        (
            "name: Purchase",
            "name: \" \"",
            &["name: must not be empty"],
        ),
    ]);
}

#[test]
fn a_definition_needs_fields_and_a_done_status() {
    let no_done = with(
        "category: done }\n  - { key: rejected, label: Rejected, category: done }",
        "category: active }\n  - { key: rejected, label: Rejected, category: active }",
    );
    assert_eq!(
        problems(&no_done),
        ["statuses: needs at least one status of category done"]
    );
    let no_fields = "key: a\nname: A\nprefix: AA\nfields: []\nstatuses: [{ key: done, label: Done, category: done }]\n";
    assert_eq!(problems(no_fields), ["fields: needs at least one field"]);
    let no_statuses =
        "key: a\nname: A\nprefix: AA\nfields: [{ key: x, label: X, type: text }]\nstatuses: []\n";
    assert_eq!(
        problems(no_statuses),
        ["statuses: needs at least one status"]
    );
}

#[test]
fn keys_are_unique_within_each_list() {
    check(&[
        (
            "key: quantity",
            "key: amount",
            &[r#"fields[3].key: duplicate key "amount""#],
        ),
        (
            "key: approval, label: Approval",
            "key: triage, label: Approval",
            &[
                r#"statuses[1].key: duplicate key "triage""#,
                r#"transitions[0].to: unknown status "approval" (did you mean "approved"?)"#,
            ],
        ),
        (
            "",
            "  - { key: send, label: Again, from: triage, to: approved }\n",
            &[r#"transitions[1].key: duplicate key "send""#],
        ),
    ]);
}

#[test]
fn field_keys_have_a_syntax_and_avoid_reserved_words() {
    check(&[
        (
            "key: urgent,",
            "key: Urgent,",
            &[
                "fields[5].key: must start with a-z and use only a-z, 0-9 and _ (at most 64 characters)",
            ],
        ),
        (
            "key: urgent,",
            "key: priority,",
            &[r#"fields[5].key: "priority" is reserved in expressions; choose another key"#],
        ),
        (
            "key: urgent,",
            "key: in,",
            &[r#"fields[5].key: "in" is reserved in expressions; choose another key"#],
        ),
    ]);
}

#[test]
fn field_options_fit_the_field_type() {
    check(&[
        (
            "options: [software, hardware]",
            "options: []",
            &["fields[1].options: a select field needs options"],
        ),
        (
            "options: [software, hardware]",
            "options: [software, software]",
            &[r#"fields[1].options[1]: duplicate option "software""#],
        ),
        (
            "min: 0, max: 100000",
            "min: 10, max: 5",
            &["fields[2].min: min 10 is greater than max 5"],
        ),
        (
            "max_length: 20",
            "max_length: 20, min: 1",
            &["fields[0].min: min and max apply only to number and money fields, not text"],
        ),
        (
            "type: boolean",
            "type: boolean, max_length: 3",
            &["fields[5].max_length: max_length applies only to text-like fields, not boolean"],
        ),
        (
            "pattern: \"PO-[0-9]+\"",
            "pattern: \"PO-[0-9\"",
            &["fields[9].pattern: is not a valid regular expression (unclosed character class)"],
        ),
        (
            "type: boolean",
            "type: boolean, options: [a]",
            &[
                "fields[5].options: options apply only to select and multiselect fields, not boolean",
            ],
        ),
    ]);
}

#[test]
fn a_field_default_must_be_valid_for_its_type() {
    check(&[
        (
            "type: boolean",
            "type: boolean, default: \"yes\"",
            &["fields[5].default: must be true or false"],
        ),
        (
            "options: [software, hardware]",
            "options: [software, hardware], default: sofware",
            &[
                r#"fields[1].default: "sofware" is not one of the options (did you mean "software"?)"#,
            ],
        ),
        (
            "type: number, min: 1",
            "type: number, min: 1, default: 0",
            &["fields[3].default: must be at least 1"],
        ),
        (
            "type: number, min: 1",
            "type: number, min: 1, default: 3",
            &[],
        ),
    ]);
}

#[test]
fn expressions_are_type_checked_at_publish_time() {
    check(&[
        (
            "visible_if: \"amount >= 1000\"",
            "visible_if: \"amout >= 1000\"",
            &[r#"fields[6].visible_if: unknown identifier "amout" (did you mean "amount"?)"#],
        ),
        (
            "required_if: \"amount >= 5000\"",
            "required_if: \"amount == 'x'\"",
            &["fields[6].required_if: cannot compare a number with a string"],
        ),
        (
            "to: approval }",
            "to: approval, guard: \"title\" }",
            &[
                "transitions[0].guard: the expression must give true or false, but it gives a string",
            ],
        ),
    ]);
}

#[test]
fn routing_rules_set_something_valid() {
    check(&[
        (
            "",
            "routing:\n  - { when: 'category == \"software\"', team: it }\n  - { team: procurement, priority: normal }\n",
            &[],
        ),
        (
            "",
            "routing:\n  - { team: \"\" }\n",
            &["routing[0].team: must be a team key (a-z, 0-9 and -)"],
        ),
        (
            "",
            "routing:\n  - { assignee: bob }\n",
            &["routing[0].assignee: must be a user's email address"],
        ),
        (
            "",
            "routing:\n  - { when: \"urgent\" }\n",
            &["routing[0]: sets nothing: give a team, a priority or an assignee"],
        ),
        (
            "",
            "routing:\n  - { when: \"categry == 'x'\", team: it }\n",
            &[r#"routing[0].when: unknown identifier "categry" (did you mean "category"?)"#],
        ),
    ]);
}

const APPROVALS: &str = "approvals:\n  status: approval\n  steps:\n    - { key: manager, approvers: requester.manager }\n    - { key: finance, when: \"amount >= 5000\", approvers: [\"role:finance-approver\", \"field:owner\"], policy: all }\n  on_approved: approved\n  on_rejected: rejected\n  reapprove_on_change: [amount]\n";

#[test]
fn approvals_reference_statuses_fields_and_valid_approvers() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("", "", &[]),
        (
            "status: approval",
            "status: aproval",
            &[r#"approvals.status: unknown status "aproval" (did you mean "approval"?)"#],
        ),
        (
            "on_approved: approved",
            "on_approved: aproved",
            &[r#"approvals.on_approved: unknown status "aproved" (did you mean "approved"?)"#],
        ),
        (
            "reapprove_on_change: [amount]",
            "reapprove_on_change: [amont]",
            &[
                r#"approvals.reapprove_on_change[0]: unknown field "amont" (did you mean "amount"?)"#,
            ],
        ),
        (
            "\"field:owner\"",
            "\"field:title\"",
            &[
                r#"approvals.steps[1].approvers[1]: field "title" is a text field; approvers need a user field"#,
            ],
        ),
        (
            "\"role:finance-approver\"",
            "\"role:Finance\"",
            &[
                r#"approvals.steps[1].approvers[0]: "role:Finance": the key must use only a-z, 0-9 and -"#,
            ],
        ),
        (
            "key: finance",
            "key: manager",
            &[r#"approvals.steps[1].key: duplicate key "manager""#],
        ),
        (
            "when: \"amount >= 5000\"",
            "when: \"amount >= '5000'\"",
            &["approvals.steps[1].when: cannot compare a number with a string using >="],
        ),
        (
            "[\"role:finance-approver\", \"field:owner\"], policy: all",
            "[\"user:bob@handoff.local\", \"field:owner\"], policy: \"quorum:3\"",
            &["approvals.steps[1].policy: quorum:3 needs more approvers than the 2 listed"],
        ),
        ("policy: all", "policy: \"quorum:3\"", &[]),
    ];
    for (old, new, expected) in cases {
        let approvals = if old.is_empty() {
            APPROVALS.to_owned()
        } else {
            APPROVALS.replacen(old, new, 1)
        };
        assert_eq!(problems(&format!("{BASE}{approvals}")), *expected, "{new}");
    }
}

#[test]
fn malformed_policies_and_approvers_fail_to_parse_with_their_path() {
    for (old, new, expected) in [
        (
            "policy: all",
            "policy: \"quorum:0\"",
            "approvals.steps[1].policy: invalid quorum \"0\"",
        ),
        (
            "policy: all",
            "policy: \"all:2\"",
            "approvals.steps[1].policy: unknown policy \"all:2\"",
        ),
        (
            "\"field:owner\"",
            "\"manager\"",
            "approvals.steps[1].approvers[1]: invalid approver \"manager\"",
        ),
    ] {
        let found = problems(&format!("{BASE}{}", APPROVALS.replacen(old, new, 1)));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with(expected),
            "{found:?} should start with {expected}"
        );
    }
}

#[test]
fn transitions_reference_fields_and_valid_actors() {
    check(&[
        (
            "to: approval }",
            "to: approval, requires: [po_numbr] }",
            &[
                r#"transitions[0].requires[0]: unknown field "po_numbr" (did you mean "po_number"?)"#,
            ],
        ),
        (
            "to: approval }",
            "to: approval, by: [team, \"role:Finance\"] }",
            &[r#"transitions[0].by[1]: "role:Finance": the role key must use only a-z, 0-9 and -"#],
        ),
        (
            "to: approval }",
            "to: approval, by: [requester, assignee, team, anyone, \"role:agent\"], comment: required, rework: true }",
            &[],
        ),
    ]);
    let bad_actor = problems(&with("to: approval }", "to: approval, by: boss }"));
    assert!(
        bad_actor[0].starts_with("transitions[0].by: invalid actor \"boss\""),
        "{bad_actor:?}"
    );
}

#[test]
fn sla_clocks_use_known_events_durations_and_calendars() {
    let clock =
        |body: &str| format!("{BASE}sla:\n  - {{ key: response, label: Response, {body} }}\n");
    let cases: &[(&str, &[&str])] = &[
        (
            "start: submitted, stop: \"leave(triage)\", target: 4h, calendar: business, remind_at: 80%",
            &[],
        ),
        (
            "start: submitted, stop: \"category(done)\", pause: \"status(approval)\", target: { default: 5d, high: 2d }, calendar: 24x7",
            &[],
        ),
        (
            "start: submited, stop: \"leave(triage)\", target: 4h",
            &[
                "sla[0].start: invalid event \"submited\" (expected submitted, approved, rejected, enter(<status>), leave(<status>), status(<status>), category(<category>), sla_breached(<sla>) or sla_reminder(<sla>))",
            ],
        ),
        (
            "start: submitted, stop: \"leave(triag)\", target: 4h",
            &[r#"sla[0].stop: unknown status "triag" (did you mean "triage"?)"#],
        ),
        (
            "start: submitted, stop: \"category(closed)\", target: 4h",
            &[r#"sla[0].stop: unknown category "closed" (expected open, active, waiting or done)"#],
        ),
        (
            "start: submitted, stop: approved, target: 4 hours",
            &[
                r#"sla[0].target: invalid duration "4 hours" (expected e.g. 30m, 4h, 5d, 1d12h or 2w)"#,
            ],
        ),
        (
            "start: submitted, stop: approved, target: { high: 2d }",
            &["sla[0].target: needs a default target"],
        ),
        (
            "start: submitted, stop: approved, target: { default: 2d, hi: 1d }",
            &[r#"sla[0].target.hi: "hi" is not a priority (low, normal, high, urgent or default)"#],
        ),
        (
            "start: submitted, stop: approved, target: 4h, calendar: weekdays",
            &["sla[0].calendar: must be business or 24x7"],
        ),
        (
            "start: submitted, stop: approved, target: 4h, remind_at: 100%",
            &["sla[0].remind_at: must be a percentage of the target from 1% to 99%"],
        ),
        (
            "start: submitted, stop: approved, target: 4h, on_breach: { escalate_to: boss }",
            &["sla[0].on_breach.escalate_to: must be role:<key>, team:<key> or user:<email>"],
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(problems(&clock(body)), *expected, "{body}");
    }
}

#[test]
fn actions_have_one_target_a_known_event_and_valid_captures() {
    let action = |body: &str| {
        format!(
            "{BASE}sla:\n  - {{ key: response, label: Response, start: submitted, stop: approved, target: 4h }}\nactions:\n  - {{ {body} }}\n"
        )
    };
    let cases: &[(&str, &[&str])] = &[
        (
            "on: \"enter(approved)\", webhook: erp, capture: { po_number: \"$.po\" }",
            &[],
        ),
        (
            "on: \"sla_breached(response)\", notify: \"role:agent\", via: team-chat",
            &[],
        ),
        (
            "on: \"sla_reminder(respons)\", notify: team",
            &[r#"actions[0].on: unknown sla clock "respons" (did you mean "response"?)"#],
        ),
        (
            "on: approved, webhook: erp, notify: team",
            &["actions[0]: needs exactly one of webhook or notify, not both"],
        ),
        (
            "on: approved, via: team-chat",
            &["actions[0]: needs one of webhook or notify"],
        ),
        (
            "on: approved, notify: everyone",
            &["actions[0].notify: must be requester, assignee, team or role:<key>"],
        ),
        (
            "on: approved, webhook: \"https://x.example\"",
            &["actions[0].webhook: must be an integration key (a-z, 0-9 and -), never a URL"],
        ),
        (
            "on: approved, webhook: erp, capture: { po_numbr: \"po\" }",
            &[
                r#"actions[0].capture.po_numbr: unknown field "po_numbr" (did you mean "po_number"?)"#,
                "actions[0].capture.po_numbr: must be a JSON path starting with $.",
            ],
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(problems(&action(body)), *expected, "{body}");
    }
}

#[test]
fn list_sizes_are_bounded_to_protect_the_server() {
    let mut source = with("", "");
    source.push_str("routing:\n");
    for _ in 0..51 {
        source.push_str("  - { team: it }\n");
    }
    assert_eq!(
        problems(&source),
        ["routing: has 51 entries, at most 50 are allowed"]
    );
}

#[test]
fn problems_come_out_in_document_order() {
    let source = with("prefix: PUR", "prefix: p").replace("to: approval", "to: nowhere")
        + "routing:\n  - { when: \"nope\", team: it }\n";
    let paths: Vec<String> = problems(&source)
        .iter()
        .map(|p| p.split(':').next().unwrap().to_owned())
        .collect();
    assert_eq!(paths, ["prefix", "routing[0].when", "transitions[0].to"]);
}

#[test]
fn conditions_that_together_cost_too_much_are_refused_where_they_cross_the_line() {
    // Each guard takes a few thousand steps on its own, within the budget of one expression;
    // thirty of them are more than one request may ask for.
    let ten = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
    let guard = format!("{ten}.all(a, {ten}.all(b, {ten}.all(c, a + b + c > 0)))");
    let transitions: String = (0..30)
        .map(|i| {
            format!(
                "  - {{ key: t{i}, label: T{i}, from: triage, to: approval, guard: \"{guard}\" }}\n"
            )
        })
        .collect();
    let source = with(
        "  - { key: send, label: Send, from: triage, to: approval }\n",
        &transitions,
    );
    let found = problems(&source);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains(".guard: with the conditions before it"),
        "{found:?}"
    );
}
