//! The audit trail: hash chains that detect edits, and the audit API.

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::*;
use handoff_backend::services::audit;

#[tokio::test]
async fn verify_passes_on_an_untouched_trail_and_finds_an_edited_event() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let r = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    app.transition(
        &bob,
        r["id"].as_str().unwrap(),
        "ask_for_info",
        Some("details?"),
    )
    .await;
    let clean = audit::verify(&app.state.db, |_| {}).await.unwrap();
    assert!(clean.breaks.is_empty(), "{:?}", clean.breaks);
    assert!(clean.events >= 4);
    // Someone with database access rewrites history.
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE events SET data = '{{\"body\":\"forged\"}}' WHERE stream = '{}' AND kind = 'transitioned'",
            r["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    let broken = audit::verify(&app.state.db, |_| {}).await.unwrap();
    assert_eq!(broken.breaks.len(), 1, "{:?}", broken.breaks);
    assert!(broken.breaks[0].reason.contains("edited"));
    // Deleting an event breaks the chain after it.
    app.state
        .db
        .execute_unprepared(&format!(
            "DELETE FROM events WHERE stream = '{}' AND seq = 2",
            r["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    let gap = audit::verify(&app.state.db, |_| {}).await.unwrap();
    assert!(
        gap.breaks.iter().any(|b| b.reason.contains("missing")),
        "{:?}",
        gap.breaks
    );
}

#[tokio::test]
async fn audit_events_list_admin_and_request_events_for_auditors() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let frank = app.login(FRANK).await; // analyst: audit.read
    let r = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let q = "query($f: AuditFilter) { auditEvents(filter: $f, first: 50) { edges { node { kind hash actor { email } } } pageInfo { hasNextPage } } }";
    let req = app
        .ok(&frank, q, json!({"f": {"requestId": r["id"]}}))
        .await;
    let kinds: Vec<&str> = req["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["routed", "submitted"], "newest first");
    let published = app
        .ok(&frank, q, json!({"f": {"kind": "workflow_published"}}))
        .await;
    assert_eq!(
        published["auditEvents"]["edges"].as_array().unwrap().len(),
        5,
        "the five demo templates"
    );
}
