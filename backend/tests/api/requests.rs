//! Submitting and working requests: validation, routing, numbering, idempotency, transitions.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn submission_routes_numbers_and_records_events() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let software = app
        .submit(
            &alice,
            "purchase-request",
            json!({"title": "Figma", "category": "software", "amount": 450}),
        )
        .await;
    assert_eq!(software["number"], "PUR-1");
    assert_eq!(software["team"]["key"], "it");
    assert_eq!(software["priority"], "NORMAL");
    assert_eq!(software["status"]["key"], "triage");
    assert_eq!(
        software["fields"]["amount"], "450.00",
        "money is stored as an exact decimal string"
    );
    let big = app
        .submit(&alice, "purchase-request", json!({"title": "Servers", "category": "hardware", "amount": "12500.50", "justification": "capacity"}))
        .await;
    assert_eq!(big["number"], "PUR-2");
    assert_eq!(big["team"]["key"], "procurement");
    assert_eq!(big["priority"], "HIGH");
    let events = app.events(&alice, &big["id"]).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["submitted", "routed"]);
    assert_eq!(events[0]["actor"]["email"], ALICE);
}

#[tokio::test]
async fn invalid_fields_are_answered_with_every_path() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let (code, err) = app
        .fails(
            Some(&alice),
            SUBMIT,
            json!({"input": {"workflow": "purchase-request", "fields": {"category": "boats", "amount": "1500.123456", "colour": "red"}}}),
        )
        .await;
    assert_eq!(code, "VALIDATION_FAILED");
    let paths: Vec<&str> = err["extensions"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    for p in [
        "fields.title",
        "fields.category",
        "fields.amount",
        "fields.colour",
    ] {
        assert!(paths.contains(&p), "{p} missing in {paths:?}");
    }
    // Conditional requirement: justification becomes required at 1000 and more.
    let (code, err) = app
        .fails(Some(&alice), SUBMIT, json!({"input": {"workflow": "purchase-request", "fields": {"title": "x", "category": "hardware", "amount": 1500}}}))
        .await;
    assert_eq!(code, "VALIDATION_FAILED");
    assert_eq!(
        err["extensions"]["fields"][0]["path"],
        "fields.justification"
    );
    // Nothing was written: the next valid submission still gets number 1.
    let ok = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    assert_eq!(ok["number"], "PUR-1");
}

#[tokio::test]
async fn the_same_idempotency_key_answers_the_same_request() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let input = json!({"input": {"workflow": "purchase-request", "fields": small_purchase(), "idempotencyKey": "form-42"}});
    let a = app.ok(&alice, SUBMIT, input.clone()).await;
    let b = app.ok(&alice, SUBMIT, input).await;
    assert_eq!(a["submitRequest"]["id"], b["submitRequest"]["id"]);
    let list = app
        .ok(
            &alice,
            "{ requests { edges { node { number } } } }",
            json!({}),
        )
        .await;
    assert_eq!(list["requests"]["edges"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn unknown_workflow_and_missing_permission_are_refused() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let (code, _) = app
        .fails(
            Some(&alice),
            SUBMIT,
            json!({"input": {"workflow": "nope", "fields": {}}}),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    let admin = app.login(ADMIN).await;
    // A role limited to one workflow cannot submit another.
    app.ok(
        &admin,
        "mutation($i: CreateRoleInput!) { createRole(input: $i) { key } }",
        json!({"i": {"key": "legal-only", "name": "Legal only", "permissions": [{"permission": "request.submit", "workflows": ["legal-intake"]}]}}),
    )
    .await;
    app.ok(
        &admin,
        "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
        json!({"i": {"email": "gina@handoff.local", "name": "Gina", "password": PASSWORD, "roles": ["legal-only"]}}),
    )
    .await;
    let gina = app.login("gina@handoff.local").await;
    let (code, _) = app
        .fails(
            Some(&gina),
            SUBMIT,
            json!({"input": {"workflow": "purchase-request", "fields": small_purchase()}}),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
}

#[tokio::test]
async fn transitions_check_actor_comment_required_fields_and_count_rework() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let r = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let id = r["id"].as_str().unwrap();
    // The requester may not take a team transition.
    let (code, _) = app
        .fails(
            Some(&alice),
            TRANSITION,
            json!({"input": {"requestId": id, "transition": "send_for_approval"}}),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    // Asking for info needs a comment.
    let (code, err) = app
        .fails(
            Some(&bob),
            TRANSITION,
            json!({"input": {"requestId": id, "transition": "ask_for_info"}}),
        )
        .await;
    assert_eq!(code, "VALIDATION_FAILED");
    assert_eq!(err["extensions"]["fields"][0]["path"], "input.comment");
    let asked = app
        .transition(&bob, id, "ask_for_info", Some("Which model?"))
        .await;
    assert_eq!(asked["status"]["key"], "needs_info");
    assert_eq!(asked["reworkCount"], 1);
    let back = app.transition(&alice, id, "provide_info", None).await;
    assert_eq!(back["status"]["key"], "triage");
    // A transition not available from the current status is a conflict.
    let (code, _) = app
        .fails(
            Some(&bob),
            TRANSITION,
            json!({"input": {"requestId": id, "transition": "complete"}}),
        )
        .await;
    assert_eq!(code, "CONFLICT");
    let options = app
        .ok(
            &alice,
            "query($id: ID) { request(id: $id) { availableTransitions { key commentRequired } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        options["request"]["availableTransitions"],
        json!([{"key": "cancel", "commentRequired": false}])
    );
}

#[tokio::test]
async fn a_stale_expected_version_is_a_conflict_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let r = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let id = r["id"].as_str().unwrap();
    let v = r["version"].as_i64().unwrap();
    let q = "mutation($i: UpdateFieldsInput!) { updateFields(input: $i) { version fields } }";
    let updated = app
        .ok(
            &bob,
            q,
            json!({"i": {"requestId": id, "fields": {"vendor": "IKEA"}, "expectedVersion": v}}),
        )
        .await;
    assert_eq!(updated["updateFields"]["version"], v + 1);
    let (code, _) = app
        .fails(
            Some(&bob),
            q,
            json!({"i": {"requestId": id, "fields": {"vendor": "Muji"}, "expectedVersion": v}}),
        )
        .await;
    assert_eq!(code, "CONFLICT");
    let (code, _) = app
        .fails(Some(&bob), TRANSITION, json!({"input": {"requestId": id, "transition": "send_for_approval", "expectedVersion": v}}))
        .await;
    assert_eq!(code, "CONFLICT");
    let now = app
        .ok(
            &bob,
            "query($id: ID) { request(id: $id) { version status { key } fields } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(now["request"]["version"], v + 1);
    assert_eq!(now["request"]["status"]["key"], "triage");
    assert_eq!(now["request"]["fields"]["vendor"], "IKEA");
}

#[tokio::test]
async fn a_request_reaches_done_with_its_required_field_and_full_timeline() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let carol = app.login(CAROL).await;
    let r = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let id = r["id"].as_str().unwrap();
    let me = app.user_id(&bob).await;
    app.ok(
        &bob,
        "mutation($i: AssignInput!) { assign(input: $i) { assignee { email } } }",
        json!({"i": {"requestId": id, "userId": me}}),
    )
    .await;
    let sent = app.transition(&bob, id, "send_for_approval", None).await;
    assert_eq!(sent["status"]["key"], "approval");
    assert_eq!(sent["approvals"][0]["state"], "ACTIVE");
    assert_eq!(sent["approvals"][0]["approvers"], json!([{"email": CAROL}]));
    assert_eq!(
        sent["approvals"][1]["state"], "SKIPPED",
        "finance applies from 5000 only"
    );
    let approved = app.decide(&carol, id, true).await;
    assert_eq!(approved["status"]["key"], "ordering");
    let (code, err) = app
        .fails(
            Some(&bob),
            TRANSITION,
            json!({"input": {"requestId": id, "transition": "complete"}}),
        )
        .await;
    assert_eq!(code, "VALIDATION_FAILED");
    assert_eq!(err["extensions"]["fields"][0]["path"], "fields.po_number");
    let done = app
        .ok(&bob, TRANSITION, json!({"input": {"requestId": id, "transition": "complete", "fields": {"po_number": "PO-7"}}}))
        .await;
    assert_eq!(done["transition"]["status"]["key"], "done");
    assert!(!done["transition"]["closedAt"].is_null());
    app.ok(
        &alice,
        "mutation($i: CommentInput!) { addComment(input: $i) { kind } }",
        json!({"i": {"requestId": id, "body": "Thanks!"}}),
    )
    .await;
    let kinds = app.event_kinds(&alice, &json!(id)).await;
    assert_eq!(
        kinds,
        [
            "submitted",
            "routed",
            "assigned",
            "transitioned",
            "approval_round_started",
            "approval_started",
            "decided",
            "step_completed",
            "approved",
            "transitioned",
            "fields_updated",
            "transitioned",
            "commented"
        ]
    );
}

#[tokio::test]
async fn editing_a_reapproval_field_after_approval_restarts_the_approval() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let carol = app.login(CAROL).await;
    let r = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let id = r["id"].as_str().unwrap();
    app.transition(&bob, id, "send_for_approval", None).await;
    app.decide(&carol, id, true).await;
    let q = "mutation($i: UpdateFieldsInput!) { updateFields(input: $i) { status { key } approvals { key state } } }";
    // A field outside reapprove_on_change does not restart anything.
    let same = app
        .ok(
            &bob,
            q,
            json!({"i": {"requestId": id, "fields": {"needed_by": "2027-01-15"}}}),
        )
        .await;
    assert_eq!(same["updateFields"]["status"]["key"], "ordering");
    let restarted = app.ok(&bob, q, json!({"i": {"requestId": id, "fields": {"amount": "7000.00", "justification": "more seats"}}})).await;
    assert_eq!(restarted["updateFields"]["status"]["key"], "approval");
    assert_eq!(
        restarted["updateFields"]["approvals"],
        json!([{"key": "manager", "state": "ACTIVE"}, {"key": "finance", "state": "PENDING"}])
    );
}

#[tokio::test]
async fn claiming_and_unassigning_are_recorded() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let r = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let id = r["id"].as_str().unwrap();
    let bob_id = app.user_id(&bob).await;
    let q = "mutation($i: AssignInput!) { assign(input: $i) { assignee { email } } }";
    let (code, _) = app
        .fails(
            Some(&alice),
            q,
            json!({"i": {"requestId": id, "userId": bob_id}}),
        )
        .await;
    assert_eq!(code, "FORBIDDEN", "requesters do not assign work");
    let claimed = app
        .ok(&bob, q, json!({"i": {"requestId": id, "userId": bob_id}}))
        .await;
    assert_eq!(claimed["assign"]["assignee"]["email"], BOB);
    let cleared = app
        .ok(&bob, q, json!({"i": {"requestId": id, "userId": null}}))
        .await;
    assert!(cleared["assign"]["assignee"].is_null());
    let actions: Vec<String> = app
        .events(&bob, &json!(id))
        .await
        .iter()
        .filter(|e| e["kind"] == "assigned")
        .map(|e| e["data"]["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["claimed", "unassigned"]);
}

#[tokio::test]
async fn oversized_bodies_and_deep_queries_are_refused() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let resp = app
        .client
        .post(format!("{}/graphql", app.base))
        .bearer_auth(&alice)
        .json(&json!({"query": "{ me { email } }", "variables": {"pad": huge}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let deep = format!(
        "{{ me {{ {} email {} }} }}",
        "manager { ".repeat(20),
        "} ".repeat(20)
    );
    let body = app.gql(Some(&alice), &deep, json!({})).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["code"], "VALIDATION_FAILED");
    let typo = app.gql(Some(&alice), "{ me { emial } }", json!({})).await;
    assert_eq!(
        typo["errors"][0]["extensions"]["code"], "VALIDATION_FAILED",
        "{typo}"
    );
}
