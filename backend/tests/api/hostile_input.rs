//! Input an attacker or a careless client sends: numbers that f64 would round, control
//! characters one database stores and the other refuses. Each gets the same exact answer on
//! SQLite and PostgreSQL.

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn money_sent_as_a_json_number_is_stored_to_the_last_digit() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    // Built from JSON text so the number travels as written, as any HTTP client sends it.
    let fields: Value = serde_json::from_str(
        r#"{"title": "Fleet", "category": "hardware", "amount": 12345678901234567890.5,
            "justification": "Trucks"}"#,
    )
    .unwrap();
    let r = app.submit(&alice, "purchase-request", fields).await;
    let q = "query($id: ID) { request(id: $id) { fields } }";
    let got = app.ok(&alice, q, json!({"id": r["id"]})).await;
    assert_eq!(
        got["request"]["fields"]["amount"],
        json!("12345678901234567890.50")
    );
}

#[tokio::test]
async fn control_characters_are_refused_with_their_path_on_both_databases() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let (code, err) = app
        .fails(
            Some(&alice),
            SUBMIT,
            json!({"input": {"workflow": "purchase-request",
                             "fields": {"title": "Desk\u{0}lamp", "category": "hardware", "amount": "10.00"}}}),
        )
        .await;
    assert_eq!(code, "VALIDATION_FAILED", "{err}");
    assert_eq!(err["extensions"]["fields"][0]["path"], "fields.title");
    let r = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let (code, err) = app
        .fails(
            Some(&alice),
            "mutation($input: CommentInput!) { addComment(input: $input) { id } }",
            json!({"input": {"requestId": r["id"], "body": "hi\u{0}there"}}),
        )
        .await;
    assert_eq!(code, "VALIDATION_FAILED", "{err}");
    assert_eq!(err["extensions"]["fields"][0]["path"], "input.body");
    // Nothing was half-written: the request still has only its own two events.
    assert_eq!(
        app.event_kinds(&alice, &r["id"]).await,
        ["submitted", "routed"]
    );
}

/// A routing rule of 135 characters that asks for ten thousand loop iterations.
fn hostile_rule() -> String {
    let ten = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
    format!("{ten}.all(a, {ten}.all(b, {ten}.all(c, {ten}.all(d, a + b + c + d > 0))))")
}

/// `simple_definition` with a first routing rule that sends matching requests to sales.
fn with_rule(key: &str, prefix: &str, when: &str) -> String {
    crate::workflows::simple_definition(key, prefix, "any", "role:finance-approver").replace(
        "routing:\n",
        &format!("routing:\n  - {{ when: \"{when}\", team: sales }}\n"),
    )
}

#[tokio::test]
async fn a_hostile_rule_is_refused_when_published() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    let definition = with_rule("costly", "CST", &hostile_rule());
    let (code, err) = app
        .fails(Some(&admin), PUBLISH, json!({"d": definition}))
        .await;
    assert_eq!(code, "INVALID_DEFINITION", "{err}");
    let problem = &err["extensions"]["problems"][0];
    assert_eq!(problem["path"], "routing[0].when", "{err}");
    assert!(
        problem["message"]
            .as_str()
            .unwrap()
            .contains("evaluation steps"),
        "{err}"
    );
    // A regular expression that compiles to megabytes is refused the same way.
    let pattern = with_rule(
        "regex",
        "RGX",
        "title.matches('\\\\\\\\w{200}\\\\\\\\w{200}')",
    );
    let (code, err) = app
        .fails(Some(&admin), PUBLISH, json!({"d": pattern}))
        .await;
    assert_eq!(code, "INVALID_DEFINITION", "{err}");
    assert_eq!(err["extensions"]["problems"][0]["path"], "routing[0].when");
}

/// A definition stored before rules had a cost check: its hostile rule runs out of steps at
/// each submission and does not hold, so the submission is routed by the next rule.
#[tokio::test]
async fn a_hostile_rule_already_stored_runs_out_of_steps_and_does_not_hold() {
    let app = TestApp::spawn().await;
    let source = with_rule("legacy", "LEG", &hostile_rule());
    let def = handoff_shared::parse_definition(&source).unwrap();
    handoff_backend::services::workflows::publish_checked(&app.state, None, &source, &def)
        .await
        .unwrap();
    let alice = app.login(ALICE).await;
    let r = app
        .submit(&alice, "legacy", json!({"title": "Chairs"}))
        .await;
    assert_eq!(r["team"]["key"], "procurement", "{r}");
}
