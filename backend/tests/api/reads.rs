//! Lists, pagination, the dashboard and the cost of a queue page.

use serde_json::json;

use crate::helpers::*;

const PAGE: &str = "query($f: RequestFilter, $first: Int, $after: String) {
  requests(filter: $f, first: $first, after: $after) {
    edges { cursor node { number title priority status { key } team { key } requester { email teams { key } }
            assignee { email } workflow { key name } approvals { key approvers { email } } } }
    pageInfo { hasNextPage endCursor } } }";

#[tokio::test]
async fn cursor_pagination_walks_every_request_once_in_order() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    for i in 0..7 {
        app.submit(
            &alice,
            "purchase-request",
            json!({"title": format!("item {i}"), "category": "hardware", "amount": 5}),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = app
            .ok(&alice, PAGE, json!({"first": 3, "after": after}))
            .await;
        let conn = &page["requests"];
        for e in conn["edges"].as_array().unwrap() {
            seen.push(e["node"]["number"].as_str().unwrap().to_owned());
        }
        if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    let total = app
        .ok(&alice, "{ requests(first: 1) { totalCount } }", json!({}))
        .await;
    assert_eq!(total["requests"]["totalCount"], 7);
    let expected: Vec<String> = (1..=7).rev().map(|n| format!("PUR-{n}")).collect();
    assert_eq!(
        seen, expected,
        "newest first, no duplicates, nothing skipped"
    );
    let asc = app
        .ok(
            &alice,
            PAGE,
            json!({"first": 2, "f": {"sort": "CREATED_ASC"}}),
        )
        .await;
    assert_eq!(asc["requests"]["edges"][0]["node"]["number"], "PUR-1");
    let (code, _) = app
        .fails(Some(&alice), PAGE, json!({"after": "garbage!"}))
        .await;
    assert_eq!(code, "VALIDATION_FAILED");
}

#[tokio::test]
async fn filters_narrow_the_list() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    app.submit(
        &alice,
        "purchase-request",
        json!({"title": "Figma seats", "category": "software", "amount": 100}),
    )
    .await;
    let hw = app.submit(&alice, "purchase-request", json!({"title": "Standing desk", "category": "hardware", "amount": 20000, "justification": "ergonomics"})).await;
    let count = |v: &serde_json::Value| v["requests"]["edges"].as_array().unwrap().len();
    assert_eq!(
        count(&app.ok(&bob, PAGE, json!({"f": {"team": "it"}})).await),
        1
    );
    assert_eq!(
        count(&app.ok(&bob, PAGE, json!({"f": {"priority": "HIGH"}})).await),
        1
    );
    assert_eq!(
        count(&app.ok(&bob, PAGE, json!({"f": {"text": "DESK"}})).await),
        1
    );
    assert_eq!(
        count(&app.ok(&bob, PAGE, json!({"f": {"text": "100%"}})).await),
        0,
        "LIKE wildcards are escaped"
    );
    assert_eq!(
        count(
            &app.ok(
                &bob,
                PAGE,
                json!({"f": {"requester": ALICE, "category": "OPEN"}})
            )
            .await
        ),
        2
    );
    app.transition(&bob, hw["id"].as_str().unwrap(), "send_for_approval", None)
        .await;
    assert_eq!(
        count(
            &app.ok(&bob, PAGE, json!({"f": {"status": "approval"}}))
                .await
        ),
        1
    );
    assert_eq!(
        count(&app.ok(&bob, PAGE, json!({"f": {"assignee": "me"}})).await),
        0
    );
    assert_eq!(
        count(
            &app.ok(&bob, PAGE, json!({"f": {"workflow": "legal-intake"}}))
                .await
        ),
        0
    );
}

/// A queue page with nested relations costs the same number of statements for 3 requests as
/// for 15: every relation is batched by a DataLoader.
#[tokio::test]
async fn a_queue_page_costs_a_bounded_number_of_statements() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let mut cost = Vec::new();
    for total in [3, 15] {
        while app.ok(&bob, PAGE, json!({"first": 100})).await["requests"]["edges"]
            .as_array()
            .unwrap()
            .len()
            < total
        {
            let r = app
                .submit(&alice, "purchase-request", small_purchase())
                .await;
            app.transition(&bob, r["id"].as_str().unwrap(), "send_for_approval", None)
                .await;
        }
        let before = app.statement_count();
        let page = app.ok(&bob, PAGE, json!({"first": 100})).await;
        cost.push(app.statement_count() - before);
        assert_eq!(page["requests"]["edges"].as_array().unwrap().len(), total);
    }
    assert_eq!(
        cost[0], cost[1],
        "statements for 3 and 15 requests: {cost:?}"
    );
    assert!(cost[1] <= 15, "a page took {} statements", cost[1]);
}

#[tokio::test]
async fn the_dashboard_counts_volume_backlog_cycle_time_and_rework() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let carol = app.login(CAROL).await;
    let frank = app.login(FRANK).await; // analyst
    let a = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let b = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let a_id = a["id"].as_str().unwrap();
    app.transition(&bob, a_id, "ask_for_info", Some("which lamp?"))
        .await;
    app.transition(&alice, a_id, "provide_info", None).await;
    app.transition(&bob, a_id, "send_for_approval", None).await;
    app.state.clock.advance(chrono::Duration::hours(10));
    app.decide(&carol, a_id, true).await;
    app.ok(&bob, TRANSITION, json!({"input": {"requestId": a_id, "transition": "complete", "fields": {"po_number": "PO-1"}}})).await;
    app.state.clock.advance(chrono::Duration::days(2));
    let q = "query($f: DashboardFilter) { dashboard(filter: $f) { total open closed reworked reworkRate
        volume { day created closed } backlog { status total under1d d1to3 d3to7 over7d }
        cycleTime { workflow priority count p50Hours p90Hours } timeInStatus { status visits avgHours } } }";
    let d = app
        .ok(&frank, q, json!({"f": {"workflow": "purchase-request"}}))
        .await["dashboard"]
        .clone();
    assert_eq!(d["total"], 2);
    assert_eq!(d["open"], 1);
    assert_eq!(d["closed"], 1);
    assert_eq!(d["reworked"], 1);
    assert_eq!(d["reworkRate"], 0.5);
    assert_eq!(
        d["backlog"],
        json!([{"status": "triage", "total": 1, "under1d": 0, "d1to3": 1, "d3to7": 0, "over7d": 0}])
    );
    assert_eq!(d["cycleTime"][0]["count"], 1);
    let p50 = d["cycleTime"][0]["p50Hours"].as_f64().unwrap();
    assert!((9.9..10.5).contains(&p50), "cycle time {p50}");
    let approval = d["timeInStatus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == "approval")
        .unwrap();
    assert!(approval["avgHours"].as_f64().unwrap() >= 9.9);
    let created: i64 = d["volume"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["created"].as_i64().unwrap())
        .sum();
    assert_eq!(created, 2);
    let _ = b;
    let (code, _) = app.fails(Some(&alice), q, json!({})).await;
    assert_eq!(code, "FORBIDDEN", "requesters have no report.read");
}
