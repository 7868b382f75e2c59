//! Storage: migration 000003's foreign keys and approvers join table, run on data the
//! application wrote under the schema before it (the way an upgrade meets a real database);
//! typed JSON columns that refuse a stored document they cannot read.

use std::collections::BTreeSet;

use handoff_backend::db::statement;
use handoff_backend::services::audit;
use handoff_migrations::Migrator;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, SqlErr, Value as DbValue};
use sea_orm_migration::MigratorTrait;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::workflows::simple_definition;

/// The migrations before the foreign keys: the first schema and integrations.
const BEFORE_FOREIGN_KEYS: u32 = 2;

async fn exec(db: &DatabaseConnection, sql: &str, values: Vec<DbValue>) -> Result<(), DbErr> {
    db.execute_raw(statement(db, sql, values)).await.map(|_| ())
}

/// `(step_id, user_id)` pairs of the join table.
async fn approver_rows(db: &DatabaseConnection) -> BTreeSet<(String, String)> {
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT step_id, user_id FROM approval_step_approvers",
            vec![],
        ))
        .await
        .expect("read the join table");
    rows.iter()
        .map(|r| {
            (
                r.try_get::<String>("", "step_id").unwrap(),
                r.try_get::<String>("", "user_id").unwrap(),
            )
        })
        .collect()
}

/// `(step_id, user_id)` pairs named by the JSON text of `approval_steps.approvers`.
async fn approvers_in_json(db: &DatabaseConnection) -> BTreeSet<(String, String)> {
    let rows = db
        .query_all_raw(statement(
            db,
            "SELECT id, approvers FROM approval_steps",
            vec![],
        ))
        .await
        .expect("read the steps");
    let mut pairs = BTreeSet::new();
    for r in rows {
        let step: String = r.try_get("", "id").unwrap();
        let approvers: String = r.try_get("", "approvers").unwrap();
        for user in serde_json::from_str::<Vec<String>>(&approvers).unwrap() {
            pairs.insert((step.clone(), user));
        }
    }
    pairs
}

/// Publishes `fk-test` (one finance approval step under `policy`) and submits a request of it
/// as Alice; answers the request.
async fn submit_fk_test(app: &TestApp, policy: &str) -> Value {
    let admin = app.login(ADMIN).await;
    let definition = simple_definition("fk-test", "FKT", policy, "role:finance-approver");
    app.publish(&admin, &definition).await;
    let alice = app.login(ALICE).await;
    app.submit(&alice, "fk-test", json!({"title": "t"})).await
}

fn is_foreign_key_violation(result: Result<(), DbErr>) -> bool {
    matches!(
        result.as_ref().map_err(DbErr::sql_err),
        Err(Some(SqlErr::ForeignKeyConstraintViolation(_)))
    )
}

#[tokio::test]
async fn foreign_keys_and_the_approvers_table_take_over_data_written_before_them() {
    let app = TestApp::spawn_migrated_to(BEFORE_FOREIGN_KEYS).await;
    let db = app.state.db.clone();
    // Today's code also writes the join table; a scratch copy (no keys) takes those writes and
    // is dropped before the migration, leaving the JSON column as the only record of who
    // approves, exactly as a release before 000003 left it.
    exec(
        &db,
        "CREATE TABLE approval_step_approvers (step_id TEXT NOT NULL, user_id TEXT NOT NULL, \
         PRIMARY KEY (step_id, user_id))",
        vec![],
    )
    .await
    .unwrap();
    let r = submit_fk_test(&app, "all").await;
    let alice = app.login(ALICE).await;
    let erin = app.login(ERIN).await;
    let carol = app.login(CAROL).await;
    let id = r["id"].as_str().unwrap().to_owned();
    app.submit(&alice, "purchase-request", large_purchase())
        .await;
    app.decide(&erin, &id, true).await;
    app.ok(
        &alice,
        "mutation($i: CommentInput!) { addComment(input: $i) { kind } }",
        json!({"i": {"requestId": id, "body": "thanks"}}),
    )
    .await;
    // A step written by hand in an earlier round (only the latest round counts), its JSON
    // naming one approver twice.
    let (alice_id, carol_id, erin_id) = (
        app.user_id(&alice).await,
        app.user_id(&carol).await,
        app.user_id(&erin).await,
    );
    exec(
        &db,
        "INSERT INTO approval_steps (id, request_id, round, position, key, state, policy, \
         approvers, started_at, completed_at) VALUES ($1, $2, 0, 0, 'old', 'SKIPPED', 'any', $3, \
         NULL, NULL)",
        vec![
            "old-step".into(),
            id.clone().into(),
            json!([carol_id, carol_id, erin_id]).to_string().into(),
        ],
    )
    .await
    .unwrap();

    exec(&db, "DROP TABLE approval_step_approvers", vec![])
        .await
        .unwrap();
    later_schema(&db, false).await;
    Migrator::up(&db, None).await.expect("migration 000003");

    let joined = approver_rows(&db).await;
    assert_eq!(joined, approvers_in_json(&db).await);
    assert!(joined.contains(&("old-step".to_owned(), carol_id.clone())));
    assert_eq!(
        joined.iter().filter(|(step, _)| step == "old-step").count(),
        2,
        "a repeated id is one row"
    );
    assert!(
        joined.len() >= 4,
        "both approvers of fk-test, the manager of the purchase, the old step: {joined:?}"
    );

    // A reference to nothing is refused now, on every kind of reference.
    let now = chrono::Utc::now();
    let dangling: Vec<(&str, Vec<DbValue>)> = vec![
        (
            "INSERT INTO comments (id, request_id, author_id, body, at) VALUES ($1, $2, $3, 'x', $4)",
            vec![
                "c1".into(),
                "no-such-request".into(),
                alice_id.clone().into(),
                now.into(),
            ],
        ),
        (
            "INSERT INTO comments (id, request_id, author_id, body, at) VALUES ($1, $2, $3, 'x', $4)",
            vec![
                "c2".into(),
                id.clone().into(),
                "no-such-user".into(),
                now.into(),
            ],
        ),
        (
            "INSERT INTO approval_step_approvers (step_id, user_id) VALUES ($1, $2)",
            vec!["old-step".into(), "no-such-user".into()],
        ),
        (
            "UPDATE requests SET team = $1 WHERE id = $2",
            vec!["no-such-team".into(), id.clone().into()],
        ),
        (
            "UPDATE users SET manager_id = $1 WHERE id = $2",
            vec!["no-such-user".into(), alice_id.clone().into()],
        ),
    ];
    for (sql, values) in dangling {
        assert!(
            is_foreign_key_violation(exec(&db, sql, values).await),
            "not refused: {sql}"
        );
    }
    // The same statement with a reference that exists still works.
    exec(
        &db,
        "INSERT INTO comments (id, request_id, author_id, body, at) VALUES ($1, $2, $3, 'x', $4)",
        vec!["c3".into(), id.clone().into(), alice_id.into(), now.into()],
    )
    .await
    .unwrap();

    // The application goes on: a decision and its events pass every new constraint, and the
    // rebuilt tables kept every event byte for byte (the hash chains still verify).
    let done = app.decide(&carol, &id, true).await;
    assert_eq!(done["status"]["key"], "doing");
    let report = audit::verify(&db, |_| {}).await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
    assert!(report.events > 10);
}

#[tokio::test]
async fn the_foreign_key_migration_refuses_rows_that_name_nothing_and_changes_nothing() {
    let app = TestApp::spawn_migrated_to(BEFORE_FOREIGN_KEYS).await;
    let db = app.state.db.clone();
    let alice = app.login(ALICE).await;
    app.submit(&alice, "purchase-request", small_purchase())
        .await;
    exec(
        &db,
        "INSERT INTO comments (id, request_id, author_id, body, at) VALUES ($1, $2, $3, 'x', $4)",
        vec![
            "orphan".into(),
            "gone-request".into(),
            "gone-user".into(),
            chrono::Utc::now().into(),
        ],
    )
    .await
    .unwrap();

    later_schema(&db, false).await;
    let err = Migrator::up(&db, None).await.unwrap_err().to_string();
    for expected in [
        "comments.request_id names a missing requests.id in 1 row(s)",
        "comments.author_id names a missing users.id in 1 row(s)",
        "nothing was changed",
    ] {
        assert!(err.contains(expected), "{expected:?} not in {err}");
    }
    assert_eq!(
        Migrator::get_pending_migrations(&db).await.unwrap().len(),
        Migrator::migrations().len() - BEFORE_FOREIGN_KEYS as usize
    );
    assert!(
        db.execute_unprepared("SELECT 1 FROM approval_step_approvers")
            .await
            .is_err(),
        "the join table was not created"
    );

    // Once the row is dealt with, the migration runs.
    exec(
        &db,
        "DELETE FROM comments WHERE id = $1",
        vec!["orphan".into()],
    )
    .await
    .unwrap();
    Migrator::up(&db, None).await.expect("migration 000003");
    assert_eq!(approver_rows(&db).await, approvers_in_json(&db).await);
}

#[tokio::test]
async fn the_foreign_key_migration_can_be_rolled_back_and_run_again() {
    let app = TestApp::spawn().await;
    let db = app.state.db.clone();
    submit_fk_test(&app, "any").await;
    let dangling = || {
        exec(
            &db,
            "INSERT INTO approval_step_approvers (step_id, user_id) VALUES ($1, $2)",
            vec!["no-such-step".into(), "no-such-user".into()],
        )
    };
    assert!(is_foreign_key_violation(dangling().await));

    // 000003 and every migration after it.
    let rolled_back = Migrator::migrations().len() as u32 - BEFORE_FOREIGN_KEYS;
    Migrator::down(&db, Some(rolled_back))
        .await
        .expect("roll back 000003 and the migrations after it");
    assert!(
        db.execute_unprepared("SELECT 1 FROM approval_step_approvers")
            .await
            .is_err(),
        "the join table is gone"
    );
    // Without the foreign keys a reference to nothing is accepted again.
    exec(
        &db,
        "UPDATE requests SET team = $1 WHERE team IS NOT NULL",
        vec!["no-such-team".into()],
    )
    .await
    .unwrap();
    exec(
        &db,
        "UPDATE requests SET team = $1 WHERE team IS NOT NULL",
        vec!["procurement".into()],
    )
    .await
    .unwrap();

    Migrator::up(&db, None)
        .await
        .expect("run 000003 and the migrations after it again");
    assert_eq!(approver_rows(&db).await, approvers_in_json(&db).await);
    assert!(!approver_rows(&db).await.is_empty());
    assert!(is_foreign_key_violation(dangling().await));
    // The rebuilt events and the backfilled heads still verify.
    let report = audit::verify(&db, |_| {}).await.unwrap();
    assert!(report.breaks.is_empty(), "{:?}", report.breaks);
}

#[tokio::test]
async fn the_approvers_table_answers_which_steps_and_requests_a_person_may_decide() {
    use handoff_backend::db::approvers;
    use handoff_backend::db::entities::{approval_step, request};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let app = TestApp::spawn().await;
    let db = app.state.db.clone();
    let r = submit_fk_test(&app, "any").await;
    let alice = app.login(ALICE).await;
    let id = r["id"].as_str().unwrap().to_owned();
    // Fill the table for the new steps the way the services will when they activate a step.
    let steps = approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.eq(&id))
        .all(&db)
        .await
        .unwrap();
    for s in &steps {
        approvers::replace(&db, &s.id, &s.approvers.0)
            .await
            .unwrap();
    }
    assert_eq!(approver_rows(&db).await, approvers_in_json(&db).await);

    let erin_id = app.user_id(&app.login(ERIN).await).await;
    let alice_id = app.user_id(&alice).await;
    let readable = request::Entity::find()
        .filter(request::Column::Id.in_subquery(approvers::request_ids_of(&erin_id)))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(
        readable.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [id.as_str()]
    );
    let own = approval_step::Entity::find()
        .filter(approval_step::Column::Id.in_subquery(approvers::step_ids_of(&alice_id)))
        .all(&db)
        .await
        .unwrap();
    assert!(own.is_empty(), "the requester never approves");

    // Replacing drops the previous approvers and counts a repeated id once.
    let step = &steps[0].id;
    approvers::replace(&db, step, &[erin_id.clone(), erin_id.clone()])
        .await
        .unwrap();
    let rows: Vec<_> = approver_rows(&db)
        .await
        .into_iter()
        .filter(|(s, _)| s == step)
        .collect();
    assert_eq!(rows, [(step.clone(), erin_id)]);
    approvers::replace(&db, step, &[]).await.unwrap();
    assert!(approver_rows(&db).await.iter().all(|(s, _)| s != step));
}

#[tokio::test]
async fn unreadable_field_values_are_an_internal_error_never_an_empty_form() {
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let r = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    for unreadable in ["[1, 2]", "{oops", ""] {
        exec(
            db,
            "UPDATE requests SET fields = $1 WHERE id = $2",
            vec![unreadable.into(), r["id"].as_str().unwrap().into()],
        )
        .await
        .unwrap();
        for (token, query, vars) in [
            (
                &alice,
                "query($id: ID) { request(id: $id) { fields } }",
                json!({"id": r["id"]}),
            ),
            (
                &alice,
                "{ requests(first: 5) { edges { node { id } } } }",
                json!({}),
            ),
            (
                &bob,
                TRANSITION,
                json!({"input": {"requestId": r["id"], "transition": "send_for_approval"}}),
            ),
        ] {
            let (code, err) = app.fails(Some(token), query, vars).await;
            assert_eq!(code, "INTERNAL", "{unreadable:?}, {query}: {err}");
            assert_eq!(err["message"], "internal error", "{err}");
        }
    }
}
