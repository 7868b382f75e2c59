//! The test harness: `TestApp::spawn()` builds the application exactly as `handoff serve` does
//! (same `startup::build_with_db`), on a fresh database of its own, listening on an ephemeral
//! port, with the demo organisation loaded. Tests talk to it over real HTTP.
//!
//! `HANDOFF_TEST_DB=postgres` runs the suite on PostgreSQL (a fresh database per test at
//! `HANDOFF_TEST_PG_URL`, default `postgres://postgres@127.0.0.1:5432`); anything else uses a
//! fresh SQLite file per test.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use handoff_backend::config::Config;
use handoff_backend::state::AppState;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

pub const PASSWORD: &str = handoff_backend::demo::DEMO_PASSWORD;

pub use crate::databases::on_postgres;

/// Creates a fresh database and answers its URL.
async fn fresh_database() -> String {
    crate::databases::fresh_database("api").await
}

/// The columns and tables that migrations after the foreign keys (000003) add, so today's code
/// can write data on a database migrated only that far. `add: false` removes them again before
/// the test runs the real migrations, leaving the schema exactly as the release left it.
pub async fn later_schema(db: &sea_orm::DatabaseConnection, add: bool) {
    let timestamp = if on_postgres() {
        "TIMESTAMP WITH TIME ZONE"
    } else {
        "TEXT"
    };
    let columns = [
        ("users", "credentials_version", "INTEGER NOT NULL DEFAULT 1"),
        ("users", "failed_logins", "INTEGER NOT NULL DEFAULT 0"),
        ("users", "login_blocked_until", timestamp),
        (
            "api_tokens",
            "credentials_version",
            "INTEGER NOT NULL DEFAULT 1",
        ),
    ];
    let mut statements = Vec::new();
    if add {
        statements.push(format!(
            "CREATE TABLE sessions (id VARCHAR(36) PRIMARY KEY, user_id VARCHAR(36) NOT NULL, \
             credentials_version INTEGER NOT NULL, created_at {timestamp} NOT NULL, \
             expires_at {timestamp} NOT NULL, revoked_at {timestamp})"
        ));
        for (table, column, kind) in columns {
            statements.push(format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"));
        }
    } else {
        statements.push("DROP TABLE sessions".to_owned());
        for (table, column, _) in columns {
            statements.push(format!("ALTER TABLE {table} DROP COLUMN {column}"));
        }
    }
    for sql in statements {
        db.execute_unprepared(&sql).await.expect("scratch schema");
    }
}

/// The number of migrations up to and including the sessions migration.
pub const SESSIONS_MIGRATION: u32 = 4;

/// The number of migrations up to and including the stream heads (and hash versions).
pub const STREAM_HEADS_MIGRATION: u32 = 5;

/// Drops what makes the audit trail append-only (the triggers of migration 000005), as an
/// attacker with DDL rights on the database would before editing it. Only tests that play
/// such an attacker call this.
pub async fn drop_audit_triggers(db: &sea_orm::DatabaseConnection) {
    let sql: &[&str] = if on_postgres() {
        &[
            "DROP TRIGGER events_append_only ON events",
            "DROP TRIGGER events_no_truncate ON events",
            "DROP TRIGGER stream_heads_forward ON stream_heads",
            "DROP TRIGGER stream_heads_no_truncate ON stream_heads",
        ]
    } else {
        &[
            "DROP TRIGGER events_no_update",
            "DROP TRIGGER events_no_delete",
            "DROP TRIGGER stream_heads_forward",
            "DROP TRIGGER stream_heads_no_delete",
        ]
    };
    for s in sql {
        db.execute_unprepared(s)
            .await
            .expect("drop an audit trigger");
    }
}

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub client: reqwest::Client,
    /// SQL statements executed so far (every statement of every connection of the app).
    pub statements: Arc<AtomicUsize>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(true).await
    }

    pub async fn spawn_with(demo: bool) -> TestApp {
        Self::spawn_with_config(demo, |_| {}).await
    }

    /// Like `spawn_with`, with the configuration adjusted before the app is built (for example
    /// without the loopback outbound allow-list of `Config::for_tests`).
    pub async fn spawn_with_config(demo: bool, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let url = fresh_database().await;
        let mut config = Config::for_tests(url.clone());
        config.demo = demo;
        adjust(&mut config);
        // As `startup::build` does: SQLite's busy timeout is the configured lock timeout.
        let db = handoff_backend::db::connect_with(&url, config.lock_timeout())
            .await
            .expect("connect and migrate");
        Self::spawn_on(config, db).await
    }

    /// Like `spawn`, on a database migrated only as far as the first `migrations` migrations:
    /// a test of a later migration runs it itself, on data the application wrote.
    pub async fn spawn_migrated_to(migrations: u32) -> TestApp {
        use sea_orm_migration::MigratorTrait;
        let url = fresh_database().await;
        let db = handoff_backend::db::open(&url).await.expect("connect");
        handoff_migrations::Migrator::up(&db, Some(migrations))
            .await
            .expect("migrate");
        if migrations < SESSIONS_MIGRATION {
            later_schema(&db, true).await;
        }
        if migrations < STREAM_HEADS_MIGRATION {
            // Today's code writes `events.hash_version` and `stream_heads`, which migration
            // 000005 adds. Scratch copies let it run on the older schema; 000005 keeps them
            // (it adds neither when present), without its triggers until it runs.
            for sql in [
                "ALTER TABLE events ADD COLUMN hash_version INTEGER NOT NULL DEFAULT 1",
                "CREATE TABLE stream_heads (stream VARCHAR NOT NULL PRIMARY KEY, \
                 last_seq BIGINT NOT NULL, last_hash VARCHAR NOT NULL, \
                 updated_at TIMESTAMP WITH TIME ZONE NOT NULL)",
            ] {
                db.execute_unprepared(sql)
                    .await
                    .expect("scratch audit schema");
            }
        }
        let mut config = Config::for_tests(url);
        config.demo = true;
        Self::spawn_on(config, db).await
    }

    async fn spawn_on(config: Config, mut db: sea_orm::DatabaseConnection) -> TestApp {
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        db.set_metric_callback(move |_info| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let app = handoff_backend::startup::build_with_db(&config, db)
            .await
            .expect("build app");
        let base = format!("http://{}", app.addr);
        let state = app.state.clone();
        tokio::spawn(app.run());
        TestApp {
            base,
            state,
            client: reqwest::Client::new(),
            statements,
        }
    }

    /// Posts a GraphQL operation; answers the whole response body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.base))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("HTTP request");
        resp.json().await.expect("JSON response")
    }

    /// Posts an operation that must succeed; answers `data`.
    pub async fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.gql(Some(token), query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Posts an operation that must fail; answers its first error's code.
    pub async fn fails(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (String, Value) {
        let body = self.gql(token, query, variables).await;
        let err = body["errors"][0].clone();
        assert!(!err.is_null(), "expected an error, got {body:#}");
        (
            err["extensions"]["code"]
                .as_str()
                .unwrap_or("<no code>")
                .to_owned(),
            err,
        )
    }

    pub async fn login(&self, email: &str) -> String {
        let data = self
            .ok_public(
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                json!({"e": email, "p": PASSWORD}),
            )
            .await;
        data["login"]["token"].as_str().expect("token").to_owned()
    }

    pub async fn ok_public(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(None, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Runs the outbox worker once (everything due now), as `handoff serve` does every second.
    pub async fn run_pending_jobs(&self) -> usize {
        handoff_backend::jobs::outbox::run_pending(&self.state, "test-worker")
            .await
            .expect("outbox worker round")
    }

    pub fn statement_count(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }

    /// Submits a request and answers `{id, number, version, status {key}, team {key}, priority}`.
    pub async fn submit(&self, token: &str, workflow: &str, fields: Value) -> Value {
        let data = self
            .ok(
                token,
                SUBMIT,
                json!({"input": {"workflow": workflow, "fields": fields}}),
            )
            .await;
        data["submitRequest"].clone()
    }

    pub async fn transition(
        &self,
        token: &str,
        id: &str,
        transition: &str,
        comment: Option<&str>,
    ) -> Value {
        let data = self
            .ok(
                token,
                TRANSITION,
                json!({"input": {"requestId": id, "transition": transition, "comment": comment}}),
            )
            .await;
        data["transition"].clone()
    }

    pub async fn decide(&self, token: &str, id: &str, approve: bool) -> Value {
        let data = self
            .ok(
                token,
                DECIDE,
                json!({"input": {"requestId": id, "approve": approve}}),
            )
            .await;
        data["decide"].clone()
    }

    /// A request's timeline, oldest first: `{kind, actor {email}, data}` per event.
    pub async fn events(&self, token: &str, id: &Value) -> Vec<Value> {
        let data = self
            .ok(
                token,
                "query($id: ID) { request(id: $id) { events { kind actor { email } data } } }",
                json!({"id": id}),
            )
            .await;
        data["request"]["events"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The kinds of a request's events, oldest first.
    pub async fn event_kinds(&self, token: &str, id: &Value) -> Vec<String> {
        self.events(token, id)
            .await
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub async fn user_id(&self, token: &str) -> String {
        self.ok(token, "{ me { id } }", json!({})).await["me"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn publish(&self, token: &str, definition: &str) -> Value {
        self.ok(token, PUBLISH, json!({"d": definition})).await["publishWorkflow"].clone()
    }
}

pub const SUBMIT: &str = "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) {
    id number title version priority reworkCount closedAt fields
    status { key category } team { key } assignee { email } requester { email }
    approvals { key state policy approvers { email } decisions { approver { email } approve } } } }";

pub const TRANSITION: &str = "mutation($input: TransitionInput!) { transition(input: $input) {
    id number title version priority reworkCount closedAt fields
    status { key category } team { key } assignee { email } requester { email }
    approvals { key state policy approvers { email } decisions { approver { email } approve } } } }";

pub const DECIDE: &str = "mutation($input: DecisionInput!) { decide(input: $input) {
    id number title version priority reworkCount closedAt fields
    status { key category } team { key } assignee { email } requester { email }
    approvals { key state policy approvers { email } decisions { approver { email } approve } } } }";

pub const PUBLISH: &str =
    "mutation($d: String!) { publishWorkflow(definition: $d) { id key version name } }";

pub const ALICE: &str = "alice@handoff.local";
pub const BOB: &str = "bob@handoff.local";
pub const CAROL: &str = "carol@handoff.local";
pub const DAVE: &str = "dave@handoff.local";
pub const ERIN: &str = "erin@handoff.local";
pub const FRANK: &str = "frank@handoff.local";
pub const ADMIN: &str = "admin@handoff.local";

/// A small purchase that routes to procurement and needs the manager only.
pub fn small_purchase() -> Value {
    json!({"title": "Desk lamp", "category": "hardware", "amount": "120.00"})
}

/// A purchase of 6000 that needs the manager and finance.
pub fn large_purchase() -> Value {
    json!({"title": "Laptops", "category": "hardware", "amount": "6000.00", "vendor": "Lenovo",
           "justification": "New hires"})
}
