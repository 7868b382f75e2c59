//! The audit trail: hash chains and stream heads that catch every edit, the triggers that make
//! `events` append-only, checkpoints, and the audit API.
//!
//! The attacks are written as an attacker with DDL rights on the database would make them:
//! first drop the append-only triggers (`drop_audit_triggers`), then edit. Without that step
//! the database refuses every one of them (see `the_database_refuses_to_change_or_delete_events`).

use handoff_backend::db::statement;
use handoff_backend::engine::{GENESIS, HashInput, HashVersion, event_hash};
use handoff_backend::services::audit::{self, AuditKey, ChainBreak, Checkpoint, VerifyReport};
use handoff_migrations::Migrator;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Value as DbValue};
use sea_orm_migration::MigratorTrait;
use serde_json::json;

use crate::helpers::*;

async fn exec(db: &DatabaseConnection, sql: &str, values: Vec<DbValue>) -> Result<u64, DbErr> {
    db.execute_raw(statement(db, sql, values))
        .await
        .map(|r| r.rows_affected())
}

async fn verify(app: &TestApp) -> VerifyReport {
    audit::verify(&app.state.db, |_| {}).await.unwrap()
}

/// The newest sequence number of a stream's events.
async fn newest_seq(db: &DatabaseConnection, stream: &str) -> i64 {
    db.query_one_raw(statement(
        db,
        "SELECT MAX(seq) AS n FROM events WHERE stream = $1",
        vec![stream.into()],
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get("", "n")
    .unwrap()
}

/// Asserts the report has a break at `stream` #`seq` whose reason contains `reason`.
fn assert_break(report: &VerifyReport, stream: &str, seq: i64, reason: &str) {
    let found = report
        .breaks
        .iter()
        .any(|b: &ChainBreak| b.stream == stream && b.seq == seq && b.reason.contains(reason));
    assert!(
        found,
        "no break at {stream} #{seq} saying {reason:?}: {:#?}",
        report.breaks
    );
}

/// A request with a few events: submitted, routed, transitioned.
async fn request_with_history(app: &TestApp) -> String {
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let r = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let id = r["id"].as_str().unwrap().to_owned();
    app.transition(&bob, &id, "ask_for_info", Some("details?"))
        .await;
    id
}

#[tokio::test]
async fn verify_passes_on_an_untouched_trail_and_finds_an_edited_event() {
    let app = TestApp::spawn().await;
    let id = request_with_history(&app).await;
    let clean = verify(&app).await;
    assert!(clean.breaks.is_empty(), "{:?}", clean.breaks);
    assert!(clean.events >= 4);
    assert_eq!(clean.heads, clean.streams);
    assert_eq!(clean.head_digest.len(), 64);

    drop_audit_triggers(&app.state.db).await;
    // Someone with database access rewrites history.
    exec(
        &app.state.db,
        "UPDATE events SET data = '{\"body\":\"forged\"}' WHERE stream = $1 AND kind = 'transitioned'",
        vec![id.clone().into()],
    )
    .await
    .unwrap();
    let broken = verify(&app).await;
    assert_eq!(broken.breaks.len(), 1, "{:?}", broken.breaks);
    assert!(broken.breaks[0].reason.contains("edited"));
    // Deleting an event in the middle breaks the chain after it.
    exec(
        &app.state.db,
        "DELETE FROM events WHERE stream = $1 AND seq = 2",
        vec![id.clone().into()],
    )
    .await
    .unwrap();
    assert_break(&verify(&app).await, &id, 3, "missing");
}

#[tokio::test]
async fn event_data_is_hashed_and_read_back_as_the_exact_stored_text() {
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let id = request_with_history(&app).await;
    // The newest event's data as another writer might have printed it (spaces, an escaped
    // "é"), hashed over that text, with the head moved along: what `audit verify` recomputes
    // must be these bytes, not the value printed again.
    drop_audit_triggers(db).await;
    let seq = newest_seq(db, &id).await;
    let printed_elsewhere = r#"{ "note" : "caf\u00e9" ,"n": [1, 2] }"#;
    let at = vec![id.clone().into(), seq.into()];
    exec(
        db,
        "UPDATE events SET data = $1 WHERE stream = $2 AND seq = $3",
        [vec![printed_elsewhere.into()], at.clone()].concat(),
    )
    .await
    .unwrap();
    let row = db
        .query_one_raw(statement(
            db,
            "SELECT * FROM events WHERE stream = $1 AND seq = $2",
            at.clone(),
        ))
        .await
        .unwrap()
        .unwrap();
    let prev_hash: String = row.try_get("", "prev_hash").unwrap();
    let hash = row_hash(HashVersion::CURRENT, &row, &prev_hash);
    exec(
        db,
        "UPDATE events SET hash = $1 WHERE stream = $2 AND seq = $3",
        [vec![hash.clone().into()], at].concat(),
    )
    .await
    .unwrap();
    exec(
        db,
        "UPDATE stream_heads SET last_hash = $1 WHERE stream = $2",
        vec![hash.into(), id.clone().into()],
    )
    .await
    .unwrap();
    let report = verify(&app).await;
    assert!(report.breaks.is_empty(), "{:#?}", report.breaks);

    // The API shows its value; the next event chains onto it; the trail still verifies.
    let bob = app.login(BOB).await;
    let events = app.events(&bob, &json!(id)).await;
    assert_eq!(
        events.last().unwrap()["data"],
        json!({"note": "café", "n": [1, 2]})
    );
    app.ok(
        &bob,
        "mutation($i: CommentInput!) { addComment(input: $i) { kind } }",
        json!({"i": {"requestId": id, "body": "still chained"}}),
    )
    .await;
    let report = verify(&app).await;
    assert!(report.breaks.is_empty(), "{:#?}", report.breaks);
    assert_eq!(
        db.query_one_raw(statement(
            db,
            "SELECT data FROM events WHERE stream = $1 AND seq = $2",
            vec![id.clone().into(), seq.into()],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<String>("", "data")
        .unwrap(),
        printed_elsewhere,
        "reading and appending rewrote nothing"
    );
}

#[tokio::test]
async fn an_event_edited_into_text_that_is_not_json_is_a_break_not_a_failure() {
    let app = TestApp::spawn().await;
    let id = request_with_history(&app).await;
    drop_audit_triggers(&app.state.db).await;
    exec(
        &app.state.db,
        "UPDATE events SET data = 'not json' WHERE stream = $1 AND seq = 1",
        vec![id.clone().into()],
    )
    .await
    .unwrap();
    // `audit verify` reads bytes: the edit is reported where it is, the rest still checked.
    let report = verify(&app).await;
    assert_eq!(report.breaks.len(), 1, "{:#?}", report.breaks);
    assert_break(&report, &id, 1, "edited");
    // Showing it is a stored value the code cannot read: INTERNAL, never an empty value.
    let bob = app.login(BOB).await;
    let (code, err) = app
        .fails(
            Some(&bob),
            "query($id: ID) { request(id: $id) { events { data } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(code, "INTERNAL", "{err}");
    assert_eq!(err["message"], "internal error", "{err}");
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_events() {
    let app = TestApp::spawn().await;
    let id = request_with_history(&app).await;
    let db = &app.state.db;
    let refused = [
        (
            "UPDATE events SET data = '{}' WHERE stream = $1",
            "append-only",
        ),
        ("DELETE FROM events WHERE stream = $1", "append-only"),
        ("DELETE FROM stream_heads WHERE stream = $1", "heads"),
        (
            "UPDATE stream_heads SET last_seq = last_seq - 1 WHERE stream = $1",
            "forwards",
        ),
    ];
    for (sql, message) in refused {
        let err = exec(db, sql, vec![id.clone().into()])
            .await
            .expect_err(sql)
            .to_string();
        assert!(err.contains(message), "{sql}: {err}");
    }
    if on_postgres() {
        for sql in ["TRUNCATE events CASCADE", "TRUNCATE stream_heads"] {
            let err = exec(db, sql, vec![]).await.expect_err(sql).to_string();
            assert!(err.contains("refused"), "{sql}: {err}");
        }
    }
    // A head may still move forwards (which is what appending does), and nothing changed.
    assert!(verify(&app).await.breaks.is_empty());
    let bob = app.login(BOB).await;
    app.ok(
        &bob,
        "mutation($i: CommentInput!) { addComment(input: $i) { kind } }",
        json!({"i": {"requestId": id, "body": "still works"}}),
    )
    .await;
    assert!(verify(&app).await.breaks.is_empty());
}

#[tokio::test]
async fn deleting_the_newest_event_of_a_request_is_reported() {
    let app = TestApp::spawn().await;
    let id = request_with_history(&app).await;
    let newest = newest_seq(&app.state.db, &id).await;
    drop_audit_triggers(&app.state.db).await;
    exec(
        &app.state.db,
        "DELETE FROM events WHERE stream = $1 AND seq = $2",
        vec![id.clone().into(), newest.into()],
    )
    .await
    .unwrap();
    let report = verify(&app).await;
    assert_eq!(report.breaks.len(), 1, "{:#?}", report.breaks);
    assert_break(&report, &id, newest, "newest event(s) are missing");
}

#[tokio::test]
async fn deleting_a_whole_stream_is_reported() {
    let app = TestApp::spawn().await;
    let id = request_with_history(&app).await;
    let db = &app.state.db;
    drop_audit_triggers(db).await;
    // Rows that point at the events go first, as the foreign keys demand.
    exec(
        db,
        "DELETE FROM outbox WHERE request_id = $1",
        vec![id.clone().into()],
    )
    .await
    .unwrap();
    let gone = exec(
        db,
        "DELETE FROM events WHERE stream = $1",
        vec![id.clone().into()],
    )
    .await
    .unwrap();
    assert!(gone >= 3);
    let report = verify(&app).await;
    assert_eq!(report.breaks.len(), 1, "{:#?}", report.breaks);
    assert_break(&report, &id, 1, "whole stream is missing");
}

#[tokio::test]
async fn moving_an_event_to_another_request_is_reported() {
    let app = TestApp::spawn().await;
    let id = request_with_history(&app).await;
    let alice = app.login(ALICE).await;
    let other = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    drop_audit_triggers(&app.state.db).await;
    exec(
        &app.state.db,
        "UPDATE events SET request_id = $1 WHERE stream = $2 AND seq = 3",
        vec![other["id"].as_str().unwrap().into(), id.clone().into()],
    )
    .await
    .unwrap();
    let report = verify(&app).await;
    assert_break(&report, &id, 3, "edited");
    assert_break(&report, &id, 3, "moved");
}

#[tokio::test]
async fn deleting_the_newest_system_event_is_reported() {
    let app = TestApp::spawn().await;
    let newest = newest_seq(&app.state.db, audit::SYSTEM_STREAM).await;
    assert!(newest > 5, "the demo wrote system events");
    drop_audit_triggers(&app.state.db).await;
    exec(
        &app.state.db,
        "DELETE FROM events WHERE stream = $1 AND seq = $2",
        vec![audit::SYSTEM_STREAM.into(), newest.into()],
    )
    .await
    .unwrap();
    let report = verify(&app).await;
    assert_eq!(report.breaks.len(), 1, "{:#?}", report.breaks);
    assert_break(&report, audit::SYSTEM_STREAM, newest, "missing");
}

#[tokio::test]
async fn a_checkpoint_catches_an_attacker_who_also_rewinds_the_head() {
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let id = request_with_history(&app).await;
    let key =
        AuditKey::from_env_value(Some("a checkpoint key of at least 32 bytes".into())).unwrap();
    let checkpoint = Checkpoint::take(db, &key, chrono::Utc::now())
        .await
        .unwrap();
    assert!(checkpoint.check_signature(&key));
    assert_eq!(checkpoint.digest, verify(&app).await.head_digest);

    // The trail goes on: new events and new streams still extend the checkpoint.
    let bob = app.login(BOB).await;
    app.ok(
        &bob,
        "mutation($i: CommentInput!) { addComment(input: $i) { kind } }",
        json!({"i": {"requestId": id, "body": "later"}}),
    )
    .await;
    request_with_history(&app).await;
    let extended = audit::verify_against(db, Some(&checkpoint), |_| {})
        .await
        .unwrap();
    assert!(extended.breaks.is_empty(), "{:#?}", extended.breaks);

    // The attacker deletes the request's events back to before the checkpoint and rewinds
    // its head to match: the chains and heads agree again.
    drop_audit_triggers(db).await;
    let kept: i64 = 2;
    exec(
        db,
        "DELETE FROM events WHERE stream = $1 AND seq > $2",
        vec![id.clone().into(), kept.into()],
    )
    .await
    .unwrap();
    exec(
        db,
        "UPDATE stream_heads SET last_seq = $1, \
         last_hash = (SELECT hash FROM events WHERE stream = $2 AND seq = $3) WHERE stream = $4",
        vec![
            kept.into(),
            id.clone().into(),
            kept.into(),
            id.clone().into(),
        ],
    )
    .await
    .unwrap();
    let fooled = verify(&app).await;
    assert!(
        fooled.breaks.is_empty(),
        "without a checkpoint a consistent rewrite passes: {:#?}",
        fooled.breaks
    );
    assert_ne!(fooled.head_digest, checkpoint.digest);
    let caught = audit::verify_against(db, Some(&checkpoint), |_| {})
        .await
        .unwrap();
    let at = checkpoint
        .heads
        .iter()
        .find(|h| h.stream == id)
        .unwrap()
        .seq;
    assert_break(&caught, &id, at, "checkpoint recorded");
}

/// The hash a stored event row would have under `version`, for rewriting a trail as another
/// writer (an older release, an attacker) would have written it.
fn row_hash(version: HashVersion, row: &sea_orm::QueryResult, prev_hash: &str) -> String {
    let at: chrono::DateTime<chrono::Utc> = row.try_get("", "at").unwrap();
    let text = |c: &str| row.try_get::<String>("", c).unwrap();
    let optional = |c: &str| row.try_get::<Option<String>>("", c).unwrap();
    let actor = optional("actor_id");
    let request_id = optional("request_id");
    event_hash(
        version,
        &HashInput {
            prev_hash,
            id: &text("id"),
            stream: &text("stream"),
            seq: row.try_get("", "seq").unwrap(),
            request_id: request_id.as_deref(),
            kind: &text("kind"),
            actor_id: actor.as_deref(),
            at: &at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            data: &text("data"),
        },
    )
}

#[tokio::test]
async fn events_written_before_the_heads_keep_verifying_and_get_heads() {
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let id = request_with_history(&app).await;
    // Make the trail what a release before 000005 left: version 1 hashes and no heads.
    drop_audit_triggers(db).await;
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT * FROM events ORDER BY stream, seq",
            vec![],
        ))
        .await
        .unwrap();
    let mut prev: Option<(String, String)> = None; // stream, hash
    for row in &rows {
        let stream: String = row.try_get("", "stream").unwrap();
        let prev_hash = match &prev {
            Some((s, h)) if *s == stream => h.clone(),
            _ => GENESIS.to_owned(),
        };
        let hash = row_hash(HashVersion::V1, row, &prev_hash);
        exec(
            db,
            "UPDATE events SET prev_hash = $1, hash = $2, hash_version = 1 WHERE id = $3",
            vec![
                prev_hash.into(),
                hash.clone().into(),
                row.try_get::<String>("", "id").unwrap().into(),
            ],
        )
        .await
        .unwrap();
        prev = Some((stream, hash));
    }
    Migrator::down(db, Some(1)).await.expect("roll back 000005");
    Migrator::up(db, None)
        .await
        .expect("000005 backfills heads");

    let migrated = verify(&app).await;
    assert!(migrated.breaks.is_empty(), "{:#?}", migrated.breaks);
    assert_eq!(migrated.heads, migrated.streams);
    // The triggers are back.
    assert!(exec(db, "DELETE FROM events", vec![]).await.is_err());

    // New events use version 2 and chain onto the old ones.
    let bob = app.login(BOB).await;
    for body in ["after the upgrade", "and again"] {
        app.ok(
            &bob,
            "mutation($i: CommentInput!) { addComment(input: $i) { kind } }",
            json!({"i": {"requestId": id, "body": body}}),
        )
        .await;
    }
    let versions: Vec<i32> = db
        .query_all_raw(statement(
            db,
            "SELECT hash_version FROM events WHERE stream = $1 ORDER BY seq",
            vec![id.clone().into()],
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("", "hash_version").unwrap())
        .collect();
    assert_eq!(versions.first(), Some(&1));
    assert_eq!(versions.last(), Some(&2));
    assert!(verify(&app).await.breaks.is_empty());

    // The old scheme does not cover the request id; the stream check still sees a move. A
    // version 2 event relabelled as version 1, after another version 2 event, is a downgrade
    // (and no longer matches its hash).
    drop_audit_triggers(db).await;
    let alice = app.login(ALICE).await;
    let other = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    exec(
        db,
        "UPDATE events SET request_id = $1 WHERE stream = $2 AND seq = 1",
        vec![other["id"].as_str().unwrap().into(), id.clone().into()],
    )
    .await
    .unwrap();
    let relabelled = newest_seq(db, &id).await;
    exec(
        db,
        "UPDATE events SET hash_version = 1 WHERE stream = $1 AND seq = $2",
        vec![id.clone().into(), relabelled.into()],
    )
    .await
    .unwrap();
    let report = verify(&app).await;
    assert_break(&report, &id, 1, "moved");
    assert!(
        !report
            .breaks
            .iter()
            .any(|b| b.seq == 1 && b.reason.contains("edited")),
        "a version 1 hash does not cover the request id: {:#?}",
        report.breaks
    );
    assert_break(&report, &id, relabelled, "downgraded");
    assert_break(&report, &id, relabelled, "edited");
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
