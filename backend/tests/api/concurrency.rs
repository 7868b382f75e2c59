//! Races that must resolve cleanly on both databases.

use serde_json::json;

use crate::helpers::*;
use crate::workflows::simple_definition;

#[tokio::test]
async fn concurrent_decisions_on_one_step_have_exactly_one_winner() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    app.publish(
        &admin,
        &simple_definition("race", "RAC", "any", "role:finance-approver"),
    )
    .await;
    let alice = app.login(ALICE).await;
    let (carol, erin) = (app.login(CAROL).await, app.login(ERIN).await);
    for round in 0..5 {
        let r = app
            .submit(&alice, "race", json!({"title": format!("race {round}")}))
            .await;
        let id = r["id"].as_str().unwrap().to_owned();
        let input = json!({"input": {"requestId": id, "approve": true}});
        let (a, b) = tokio::join!(
            app.gql(Some(&carol), DECIDE, input.clone()),
            app.gql(Some(&erin), DECIDE, input.clone())
        );
        let outcomes: Vec<&str> = [&a, &b]
            .iter()
            .map(|body| {
                if body.get("errors").is_none() {
                    "ok"
                } else {
                    body["errors"][0]["extensions"]["code"].as_str().unwrap()
                }
            })
            .collect();
        let mut sorted = outcomes.clone();
        sorted.sort();
        assert_eq!(sorted, ["CONFLICT", "ok"], "round {round}: {a} / {b}");
        let state = app.ok(&alice, "query($id: ID) { request(id: $id) { status { key } approvals { decisions { approve } } } }", json!({"id": id})).await;
        assert_eq!(state["request"]["status"]["key"], "doing");
        assert_eq!(
            state["request"]["approvals"][0]["decisions"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn concurrent_submissions_get_distinct_numbers_without_gaps() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bodies = futures::future::join_all((0..12).map(|i| {
        let fields = json!({"title": format!("item {i}"), "category": "hardware", "amount": 10});
        app.gql(
            Some(&alice),
            SUBMIT,
            json!({"input": {"workflow": "purchase-request", "fields": fields}}),
        )
    }))
    .await;
    let mut numbers: Vec<u32> = bodies
        .iter()
        .map(|b| {
            assert!(b.get("errors").is_none(), "{b}");
            b["data"]["submitRequest"]["number"]
                .as_str()
                .unwrap()
                .trim_start_matches("PUR-")
                .parse()
                .unwrap()
        })
        .collect();
    numbers.sort();
    assert_eq!(numbers, (1..=12).collect::<Vec<u32>>());
}

#[tokio::test]
async fn concurrent_transitions_from_the_same_version_conflict() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let r = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let v = r["version"].clone();
    let send = json!({"input": {"requestId": r["id"], "transition": "send_for_approval", "expectedVersion": v}});
    let ask = json!({"input": {"requestId": r["id"], "transition": "ask_for_info", "comment": "?", "expectedVersion": v}});
    let (a, b) = tokio::join!(
        app.gql(Some(&bob), TRANSITION, send),
        app.gql(Some(&bob), TRANSITION, ask)
    );
    let ok = [&a, &b]
        .iter()
        .filter(|x| x.get("errors").is_none())
        .count();
    assert_eq!(ok, 1, "{a} / {b}");
}

const UPDATE_FIELDS: &str =
    "mutation($i: UpdateFieldsInput!) { updateFields(input: $i) { version } }";

/// The attack: fifty clients edit one request at the same moment, each with the version it
/// loaded. On SQLite a deferred transaction that read before another writer committed used to
/// fail at once with "database is locked", answered as `INTERNAL`. Each round has exactly one
/// winner; every loser hears `CONFLICT` (its version is stale, or it waited out the lock).
#[tokio::test]
async fn fifty_concurrent_field_edits_have_one_winner_per_version_and_no_internal_error() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let r = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let id = r["id"].as_str().unwrap().to_owned();
    let mut version = r["version"].as_i64().unwrap();
    for round in 0..3 {
        let bodies = futures::future::join_all((0..50).map(|i| {
            let fields = json!({"vendor": format!("vendor {round}-{i}")});
            app.gql(
                Some(&bob),
                UPDATE_FIELDS,
                json!({"i": {"requestId": id, "fields": fields, "expectedVersion": version}}),
            )
        }))
        .await;
        let mut winners = Vec::new();
        for body in &bodies {
            match body.get("errors") {
                None => winners.push(body["data"]["updateFields"]["version"].as_i64().unwrap()),
                Some(errors) => assert_eq!(errors[0]["extensions"]["code"], "CONFLICT", "{body}"),
            }
        }
        assert_eq!(winners, [version + 1], "round {round}");
        version += 1;
    }
    let now = app
        .ok(
            &bob,
            "query($id: ID) { request(id: $id) { version } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(now["request"]["version"], version);
}

/// A writer that holds its lock past the lock timeout: the change that waits for it gives up
/// with `CONFLICT` and a message that says to retry, on both databases, and changes nothing.
#[tokio::test]
async fn a_lock_held_past_the_lock_timeout_is_a_conflict_to_retry() {
    use sea_orm::ConnectionTrait;

    let app = TestApp::spawn_with_config(true, |c| c.lock_timeout_secs = 1).await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let r = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let id = r["id"].as_str().unwrap().to_owned();
    // Another change in progress: it holds the request's row lock (the write lock on SQLite).
    let holder = app.state.begin_write().await.unwrap();
    holder
        .execute_raw(handoff_backend::db::statement(
            &holder,
            "UPDATE requests SET version = version WHERE id = $1",
            vec![id.clone().into()],
        ))
        .await
        .unwrap();
    let (code, err) = app
        .fails(
            Some(&bob),
            UPDATE_FIELDS,
            json!({"i": {"requestId": id, "fields": {"vendor": "IKEA"}}}),
        )
        .await;
    assert_eq!(code, "CONFLICT", "{err}");
    assert_eq!(err["message"], "another change is in progress; retry");
    holder.rollback().await.unwrap();
    // Once the lock is free, the same change goes through.
    app.ok(
        &bob,
        UPDATE_FIELDS,
        json!({"i": {"requestId": id, "fields": {"vendor": "IKEA"}}}),
    )
    .await;
}

/// Publishing reads the latest version before it writes the next: a transaction that read
/// first. On SQLite such a transaction used to fail at its first write with "database is
/// locked" (`INTERNAL`) whenever another publish committed in between; write transactions now
/// take the write lock when they begin. Every publish either gets its own version or, on
/// PostgreSQL where two may read the same latest version, `CONFLICT`.
#[tokio::test]
async fn concurrent_publishes_of_one_workflow_get_distinct_versions_and_no_internal_error() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    let definition = simple_definition("race", "RAC", "any", "role:finance-approver");
    let bodies = futures::future::join_all(
        (0..20).map(|_| app.gql(Some(&admin), PUBLISH, json!({"d": definition}))),
    )
    .await;
    let mut versions = Vec::new();
    for body in &bodies {
        match body.get("errors") {
            None => versions.push(body["data"]["publishWorkflow"]["version"].as_i64().unwrap()),
            Some(errors) => assert_eq!(errors[0]["extensions"]["code"], "CONFLICT", "{body}"),
        }
    }
    versions.sort();
    assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>());
    if !on_postgres() {
        assert_eq!(versions.len(), 20, "SQLite serialises the publishes");
    }
}
