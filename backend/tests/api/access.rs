//! Row-level reads: own, team, all, scoped roles; approvers can always read.

use serde_json::json;

use crate::helpers::*;

const GET: &str = "query($id: ID) { request(id: $id) { number } }";

#[tokio::test]
async fn requesters_see_only_their_own_requests() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let dave = app.login(DAVE).await;
    let mine = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let his = app
        .submit(
            &dave,
            "legal-intake",
            json!({"summary": "NDA with Acme", "matter_type": "nda", "counterparty": "Acme"}),
        )
        .await;
    assert!(
        app.ok(&alice, GET, json!({"id": his["id"]})).await["request"].is_null(),
        "another requester's request is invisible"
    );
    assert_eq!(
        app.ok(&alice, GET, json!({"id": mine["id"]})).await["request"]["number"],
        mine["number"]
    );
    let list = app
        .ok(
            &alice,
            "{ requests { edges { node { number } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        list["requests"]["edges"],
        json!([{"node": {"number": mine["number"]}}])
    );
    // Changing an unreadable request answers NOT_FOUND, never revealing it exists.
    let (code, _) = app
        .fails(
            Some(&alice),
            TRANSITION,
            json!({"input": {"requestId": his["id"], "transition": "x"}}),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
}

#[tokio::test]
async fn agents_see_their_teams_requests_but_not_other_teams() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let procurement = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    assert_eq!(procurement["team"]["key"], "procurement");
    let bob = app.login(BOB).await; // procurement and it
    let erin = app.login(ERIN).await; // finance
    assert!(!app.ok(&bob, GET, json!({"id": procurement["id"]})).await["request"].is_null());
    assert!(app.ok(&erin, GET, json!({"id": procurement["id"]})).await["request"].is_null());
    let erins = app
        .ok(
            &erin,
            "{ requests { edges { node { number } } } }",
            json!({}),
        )
        .await;
    assert_eq!(erins["requests"]["edges"], json!([]));
    let (code, _) = app
        .fails(
            Some(&erin),
            TRANSITION,
            json!({"input": {"requestId": procurement["id"], "transition": "send_for_approval"}}),
        )
        .await;
    assert_eq!(code, "NOT_FOUND");
}

#[tokio::test]
async fn scoped_read_all_covers_only_its_workflows() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    app.ok(
        &admin,
        "mutation($i: CreateRoleInput!) { createRole(input: $i) { key permissions { permission workflows } } }",
        json!({"i": {"key": "purchase-auditor", "name": "Purchase auditor",
                      "permissions": [{"permission": "request.read.all", "workflows": ["purchase-request"]}]}}),
    )
    .await;
    app.ok(
        &admin,
        "mutation($i: CreateUserInput!) { createUser(input: $i) { id manager { email } } }",
        json!({"i": {"email": "ivan@handoff.local", "name": "Ivan", "password": PASSWORD, "roles": ["purchase-auditor"], "manager": CAROL}}),
    )
    .await;
    let alice = app.login(ALICE).await;
    let purchase = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let legal = app.submit(&alice, "legal-intake", json!({"summary": "Reseller contract", "matter_type": "contract_review", "counterparty": "Globex"})).await;
    let ivan = app.login("ivan@handoff.local").await;
    assert!(!app.ok(&ivan, GET, json!({"id": purchase["id"]})).await["request"].is_null());
    assert!(app.ok(&ivan, GET, json!({"id": legal["id"]})).await["request"].is_null());
}

#[tokio::test]
async fn approvers_can_read_what_they_must_decide() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let r = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let carol = app.login(CAROL).await; // sales, no read.team on procurement
    assert!(app.ok(&carol, GET, json!({"id": r["id"]})).await["request"].is_null());
    app.transition(&bob, r["id"].as_str().unwrap(), "send_for_approval", None)
        .await;
    assert!(
        !app.ok(&carol, GET, json!({"id": r["id"]})).await["request"].is_null(),
        "the manager now approves it"
    );
}

#[tokio::test]
async fn admin_operations_need_their_permissions() {
    let app = TestApp::spawn().await;
    let bob = app.login(BOB).await;
    for (q, vars) in [
        ("{ users { email } }", json!({})),
        ("{ roles { key } }", json!({})),
        (
            "mutation($i: CreateTeamInput!) { createTeam(input: $i) { key } }",
            json!({"i": {"key": "x", "name": "X"}}),
        ),
        (
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            json!({"i": {"email": "a@b.co", "name": "A"}}),
        ),
        ("mutation { deleteRole(key: \"agent\") }", json!({})),
        ("{ auditEvents { pageInfo { hasNextPage } } }", json!({})),
    ] {
        let (code, _) = app.fails(Some(&bob), q, vars).await;
        assert_eq!(code, "FORBIDDEN", "{q}");
    }
    let admin = app.login(ADMIN).await;
    let (code, _) = app
        .fails(
            Some(&admin),
            "mutation { deleteRole(key: \"agent\") }",
            json!({}),
        )
        .await;
    assert_eq!(
        code, "VALIDATION_FAILED",
        "built-in roles are not deletable"
    );
    let team = app.ok(&admin, "mutation($i: CreateTeamInput!) { createTeam(input: $i) { key name members { email } } }", json!({"i": {"key": "ops", "name": "Operations"}})).await;
    assert_eq!(team["createTeam"]["key"], "ops");
    let (code, err) = app
        .fails(
            Some(&admin),
            "mutation($i: CreateTeamInput!) { createTeam(input: $i) { key } }",
            json!({"i": {"key": "ops", "name": "Again"}}),
        )
        .await;
    assert_eq!(code, "VALIDATION_FAILED");
    assert_eq!(err["extensions"]["fields"][0]["path"], "input.key");
    let renamed = app
        .ok(
            &admin,
            "mutation($i: UpdateTeamInput!) { updateTeam(input: $i) { name } }",
            json!({"i": {"key": "ops", "name": "Ops & Support"}}),
        )
        .await;
    assert_eq!(renamed["updateTeam"]["name"], "Ops & Support");
    let bob_id = app.user_id(&bob).await;
    let updated = app
        .ok(&admin, "mutation($i: UpdateUserInput!) { updateUser(input: $i) { teams { key } manager { email } } }", json!({"i": {"id": bob_id, "teams": ["ops"], "manager": DAVE}}))
        .await;
    assert_eq!(updated["updateUser"]["teams"], json!([{"key": "ops"}]));
    assert_eq!(updated["updateUser"]["manager"]["email"], DAVE);
    let (code, _) = app.fails(Some(&admin), "mutation($i: CreateRoleInput!) { createRole(input: $i) { key } }", json!({"i": {"key": "bad", "name": "Bad", "permissions": [{"permission": "request.fly"}]}})).await;
    assert_eq!(code, "VALIDATION_FAILED");
}
