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
