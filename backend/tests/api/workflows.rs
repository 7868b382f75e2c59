//! Publishing definitions: validation with paths and suggestions, immutable versions.

use serde_json::json;

use crate::helpers::*;

pub fn simple_definition(key: &str, prefix: &str, policy: &str, approvers: &str) -> String {
    format!(
        r#"
key: {key}
name: Test {key}
prefix: {prefix}
fields:
  - {{ key: title, label: Title, type: text, required: true }}
  - {{ key: amount, label: Amount, type: money }}
statuses:
  - {{ key: review, label: Review, category: waiting }}
  - {{ key: doing, label: Doing, category: active }}
  - {{ key: done, label: Done, category: done }}
  - {{ key: rejected, label: Rejected, category: done }}
routing:
  - {{ team: procurement }}
approvals:
  status: review
  steps:
    - {{ key: board, approvers: "{approvers}", policy: "{policy}" }}
  on_approved: doing
  on_rejected: rejected
transitions:
  - {{ key: finish, label: Finish, from: doing, to: done, by: team }}
"#
    )
}

#[tokio::test]
async fn a_malformed_definition_is_answered_with_every_problem_its_path_and_a_suggestion() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    let bad = simple_definition("bad-one", "BAD", "any", "role:finance-approvr")
        .replace("to: done, by: team", "to: dnoe, by: team")
        .replace(
            "routing:\n  - { team: procurement }",
            "routing:\n  - { team: procurment, when: \"amount > 'x'\" }",
        );
    let (code, err) = app.fails(Some(&admin), PUBLISH, json!({"d": bad})).await;
    assert_eq!(code, "INVALID_DEFINITION");
    let problems = err["extensions"]["problems"].as_array().unwrap().clone();
    let text: Vec<String> = problems
        .iter()
        .map(|p| {
            format!(
                "{}: {}",
                p["path"].as_str().unwrap(),
                p["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        text.iter()
            .any(|t| t.starts_with("transitions[0].to") && t.contains("did you mean \"done\"")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|t| t.starts_with("routing[0].when")),
        "{text:?}"
    );
    // validateWorkflow answers the same list without publishing anything.
    let listed = app
        .ok(
            &admin,
            "mutation($d: String!) { validateWorkflow(definition: $d) { path message } }",
            json!({"d": bad}),
        )
        .await;
    assert_eq!(
        listed["validateWorkflow"].as_array().unwrap().len(),
        problems.len()
    );
    let none = app
        .ok(&admin, "{ workflow(key: \"bad-one\") { key } }", json!({}))
        .await;
    assert!(none["workflow"].is_null(), "nothing was published");
}

#[tokio::test]
async fn server_side_checks_name_unknown_teams_and_roles_with_suggestions() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    let def = simple_definition("srv", "SRV", "any", "role:finance-approvr")
        .replace("team: procurement", "team: procurment");
    let (code, err) = app.fails(Some(&admin), PUBLISH, json!({"d": def})).await;
    assert_eq!(code, "INVALID_DEFINITION");
    let problems = err["extensions"]["problems"].to_string();
    assert!(
        problems.contains("unknown team \\\"procurment\\\" (did you mean \\\"procurement\\\"?)"),
        "{problems}"
    );
    assert!(
        problems.contains(
            "unknown role \\\"finance-approvr\\\" (did you mean \\\"finance-approver\\\"?)"
        ),
        "{problems}"
    );
}

#[tokio::test]
async fn yaml_syntax_errors_and_unknown_keys_have_paths() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    let (code, err) = app
        .fails(Some(&admin), PUBLISH, json!({"d": "key: [unclosed"}))
        .await;
    assert_eq!(code, "INVALID_DEFINITION");
    assert!(!err["extensions"]["problems"].as_array().unwrap().is_empty());
    let def = simple_definition("typo", "TYP", "any", "requester.manager")
        .replace("prefix: TYP", "prefix: TYP\ncolour: blue");
    let (code, err) = app.fails(Some(&admin), PUBLISH, json!({"d": def})).await;
    assert_eq!(code, "INVALID_DEFINITION");
    assert!(
        err["extensions"]["problems"].to_string().contains("colour"),
        "{err}"
    );
}

#[tokio::test]
async fn failing_definition_tests_block_publishing() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    let def = simple_definition("tested", "TST", "any", "requester.manager")
        + "tests:\n  - given: { fields: { title: x } }\n    expect: { team: it }\n";
    let (code, err) = app.fails(Some(&admin), PUBLISH, json!({"d": def})).await;
    assert_eq!(code, "INVALID_DEFINITION");
    assert!(
        err["extensions"]["problems"][0]["path"]
            .as_str()
            .unwrap()
            .starts_with("tests[0].expect.team"),
        "{err}"
    );
}

#[tokio::test]
async fn publishing_makes_immutable_versions_and_requests_stay_on_theirs() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    let alice = app.login(ALICE).await;
    let v1 = app
        .publish(
            &admin,
            &simple_definition("versioned", "VER", "any", "requester.manager"),
        )
        .await;
    assert_eq!(v1["version"], 1);
    let first = app
        .submit(&alice, "versioned", json!({"title": "on v1"}))
        .await;
    let v2_source = simple_definition("versioned", "VER", "any", "requester.manager")
        .replace("name: Test versioned", "name: Renamed");
    let v2 = app.publish(&admin, &v2_source).await;
    assert_eq!(v2["version"], 2);
    let second = app
        .submit(&alice, "versioned", json!({"title": "on v2"}))
        .await;
    let q = "query($id: ID) { request(id: $id) { workflow { version name } } }";
    let a = app.ok(&alice, q, json!({"id": first["id"]})).await;
    let b = app.ok(&alice, q, json!({"id": second["id"]})).await;
    assert_eq!(
        a["request"]["workflow"],
        json!({"version": 1, "name": "Test versioned"})
    );
    assert_eq!(
        b["request"]["workflow"],
        json!({"version": 2, "name": "Renamed"})
    );
    let versions = app
        .ok(
            &admin,
            "{ workflowVersions(key: \"versioned\") { version } }",
            json!({}),
        )
        .await;
    assert_eq!(
        versions["workflowVersions"],
        json!([{"version": 2}, {"version": 1}])
    );
    // Another workflow cannot take the prefix.
    let (code, err) = app
        .fails(
            Some(&admin),
            PUBLISH,
            json!({"d": simple_definition("thief", "VER", "any", "requester.manager")}),
        )
        .await;
    assert_eq!(code, "INVALID_DEFINITION");
    assert_eq!(err["extensions"]["problems"][0]["path"], "prefix");
}

#[tokio::test]
async fn only_workflow_managers_may_publish() {
    let app = TestApp::spawn().await;
    let bob = app.login(BOB).await;
    let (code, _) = app
        .fails(
            Some(&bob),
            PUBLISH,
            json!({"d": simple_definition("x", "XX", "any", "requester.manager")}),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
}

#[tokio::test]
async fn the_demo_templates_are_published_and_listed() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let list = app
        .ok(
            &alice,
            "{ workflows { key prefix fields { key type } statuses { key category } } }",
            json!({}),
        )
        .await;
    let keys: Vec<&str> = list["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["key"].as_str().unwrap())
        .collect();
    for k in [
        "discount-approval",
        "it-access",
        "legal-intake",
        "purchase-request",
        "vendor-onboarding",
    ] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
}
