//! Approval policies, ordering, rejection and the self-approval rule.

use serde_json::json;

use crate::helpers::*;
use crate::workflows::simple_definition;

async fn setup(app: &TestApp, policy: &str, approvers: &str) -> String {
    let admin = app.login(ADMIN).await;
    app.publish(
        &admin,
        &simple_definition("policy-test", "POL", policy, approvers),
    )
    .await;
    admin
}

fn emails(step: &serde_json::Value) -> Vec<String> {
    step["approvers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn any_policy_is_approved_by_the_first_approval() {
    let app = TestApp::spawn().await;
    setup(&app, "any", "role:finance-approver").await;
    let alice = app.login(ALICE).await;
    let r = app
        .submit(&alice, "policy-test", json!({"title": "t"}))
        .await;
    assert_eq!(
        r["status"]["key"], "review",
        "approval starts at submission when the first status is the approval status"
    );
    assert_eq!(emails(&r["approvals"][0]), [CAROL, ERIN]);
    let erin = app.login(ERIN).await;
    let done = app.decide(&erin, r["id"].as_str().unwrap(), true).await;
    assert_eq!(done["status"]["key"], "doing");
    assert_eq!(done["approvals"][0]["state"], "APPROVED");
}

#[tokio::test]
async fn all_policy_waits_for_every_approver() {
    let app = TestApp::spawn().await;
    setup(&app, "all", "role:finance-approver").await;
    let alice = app.login(ALICE).await;
    let r = app
        .submit(&alice, "policy-test", json!({"title": "t"}))
        .await;
    let id = r["id"].as_str().unwrap();
    let after_one = app.decide(&app.login(ERIN).await, id, true).await;
    assert_eq!(after_one["status"]["key"], "review");
    assert_eq!(after_one["approvals"][0]["state"], "ACTIVE");
    let after_two = app.decide(&app.login(CAROL).await, id, true).await;
    assert_eq!(after_two["status"]["key"], "doing");
}

#[tokio::test]
async fn quorum_policy_needs_n_approvals() {
    let app = TestApp::spawn().await;
    setup(&app, "quorum:2", "role:agent").await;
    let alice = app.login(ALICE).await;
    let r = app
        .submit(&alice, "policy-test", json!({"title": "t"}))
        .await;
    let id = r["id"].as_str().unwrap();
    assert_eq!(emails(&r["approvals"][0]).len(), 3);
    let one = app.decide(&app.login(BOB).await, id, true).await;
    assert_eq!(one["status"]["key"], "review");
    let two = app.decide(&app.login(DAVE).await, id, true).await;
    assert_eq!(two["status"]["key"], "doing");
    // The third approver is too late: the step was decided.
    let (code, _) = app
        .fails(
            Some(&app.login(ERIN).await),
            DECIDE,
            json!({"input": {"requestId": id, "approve": true}}),
        )
        .await;
    assert_eq!(code, "CONFLICT");
}

#[tokio::test]
async fn a_rejection_ends_the_approval() {
    let app = TestApp::spawn().await;
    setup(&app, "all", "role:finance-approver").await;
    let alice = app.login(ALICE).await;
    let r = app
        .submit(&alice, "policy-test", json!({"title": "t"}))
        .await;
    let id = r["id"].as_str().unwrap();
    let q = "mutation($input: DecisionInput!) { decide(input: $input) { status { key } closedAt approvals { state decisions { approve } } } }";
    let rejected = app
        .ok(
            &app.login(CAROL).await,
            q,
            json!({"input": {"requestId": id, "approve": false, "comment": "Not this quarter"}}),
        )
        .await;
    assert_eq!(rejected["decide"]["status"]["key"], "rejected");
    assert_eq!(rejected["decide"]["approvals"][0]["state"], "REJECTED");
    assert!(!rejected["decide"]["closedAt"].is_null());
}

#[tokio::test]
async fn a_requester_never_approves_their_own_request() {
    let app = TestApp::spawn().await;
    setup(&app, "any", "role:finance-approver").await;
    let erin = app.login(ERIN).await;
    let r = app
        .submit(&erin, "policy-test", json!({"title": "my own"}))
        .await;
    assert_eq!(
        emails(&r["approvals"][0]),
        [CAROL],
        "the requester is never resolved as an approver"
    );
    let (code, err) = app
        .fails(
            Some(&erin),
            DECIDE,
            json!({"input": {"requestId": r["id"], "approve": true}}),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    assert!(err["message"].as_str().unwrap().contains("own request"));
}

#[tokio::test]
async fn steps_run_in_order_and_a_non_approver_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let r = app
        .submit(&alice, "purchase-request", large_purchase())
        .await;
    let id = r["id"].as_str().unwrap();
    let sent = app.transition(&bob, id, "send_for_approval", None).await;
    assert_eq!(sent["approvals"][0]["state"], "ACTIVE");
    assert_eq!(sent["approvals"][1]["state"], "PENDING");
    // Erin approves finance, but finance is not active yet: she is no approver of the request
    // so far, and (finance team) may not even see it.
    let erin = app.login(ERIN).await;
    let (code, _) = app
        .fails(
            Some(&erin),
            DECIDE,
            json!({"input": {"requestId": id, "approve": true}}),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
    // Bob works the request but is no approver of the active step.
    let (code, _) = app
        .fails(
            Some(&bob),
            DECIDE,
            json!({"input": {"requestId": id, "approve": true}}),
        )
        .await;
    assert_eq!(code, "FORBIDDEN");
    let after_manager = app.decide(&app.login(CAROL).await, id, true).await;
    assert_eq!(after_manager["approvals"][1]["state"], "ACTIVE");
    let tasks = app
        .ok(
            &erin,
            "{ myApprovals { step request { number } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        tasks["myApprovals"],
        json!([{"step": "finance", "request": {"number": r["number"]}}])
    );
    let done = app.decide(&erin, id, true).await;
    assert_eq!(done["status"]["key"], "ordering");
    let none = app.ok(&erin, "{ myApprovals { step } }", json!({})).await;
    assert_eq!(none["myApprovals"], json!([]));
}

#[tokio::test]
async fn a_user_field_names_the_approver() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    let def = simple_definition("field-approver", "FLD", "any", "field:owner").replace(
        "  - { key: amount, label: Amount, type: money }",
        "  - { key: owner, label: Budget owner, type: user, required: true }",
    );
    app.publish(&admin, &def).await;
    let alice = app.login(ALICE).await;
    let (code, err) = app.fails(Some(&alice), SUBMIT, json!({"input": {"workflow": "field-approver", "fields": {"title": "t", "owner": "ghost@handoff.local"}}})).await;
    assert_eq!(code, "VALIDATION_FAILED");
    assert_eq!(err["extensions"]["fields"][0]["path"], "fields.owner");
    let r = app
        .submit(
            &alice,
            "field-approver",
            json!({"title": "t", "owner": DAVE}),
        )
        .await;
    assert_eq!(emails(&r["approvals"][0]), [DAVE]);
}

#[tokio::test]
async fn team_and_user_approvers_are_resolved() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    let def = simple_definition("mixed", "MIX", "all", "team:legal").replace(
        "approvers: \"team:legal\"",
        "approvers: [\"team:legal\", \"user:frank@handoff.local\"]",
    );
    app.publish(&admin, &def).await;
    let alice = app.login(ALICE).await;
    let r = app.submit(&alice, "mixed", json!({"title": "t"})).await;
    assert_eq!(emails(&r["approvals"][0]), [DAVE, FRANK]);
}

#[tokio::test]
async fn a_transition_guard_must_hold() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    let def = simple_definition("guarded", "GRD", "any", "role:finance-approver").replace(
        "  - { key: finish, label: Finish, from: doing, to: done, by: team }",
        "  - { key: finish, label: Finish, from: doing, to: done, by: team, guard: \"amount < 100\" }",
    );
    app.publish(&admin, &def).await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let erin = app.login(ERIN).await;
    let cheap = app
        .submit(&alice, "guarded", json!({"title": "cheap", "amount": 50}))
        .await;
    let dear = app
        .submit(&alice, "guarded", json!({"title": "dear", "amount": 500}))
        .await;
    for r in [&cheap, &dear] {
        app.decide(&erin, r["id"].as_str().unwrap(), true).await;
    }
    let q = "query($id: ID) { request(id: $id) { availableTransitions { key } } }";
    assert_eq!(
        app.ok(&bob, q, json!({"id": cheap["id"]})).await["request"]["availableTransitions"],
        json!([{"key": "finish"}])
    );
    assert_eq!(
        app.ok(&bob, q, json!({"id": dear["id"]})).await["request"]["availableTransitions"],
        json!([])
    );
    let (code, _) = app
        .fails(
            Some(&bob),
            TRANSITION,
            json!({"input": {"requestId": dear["id"], "transition": "finish"}}),
        )
        .await;
    assert_eq!(code, "VALIDATION_FAILED");
    assert_eq!(
        app.transition(&bob, cheap["id"].as_str().unwrap(), "finish", None)
            .await["status"]["key"],
        "done"
    );
}
