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
