//! Fresh databases for the test crates that run the real `handoff` binary (`cli.rs`,
//! `crash.rs`), chosen like the API suite's: a new SQLite file by default, a new PostgreSQL
//! database with `HANDOFF_TEST_DB=postgres` (on `HANDOFF_TEST_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432`). PostgreSQL databases are named `handoff_test_*`, so
//! `cargo xtask test` drops the ones an interrupted run left behind.

use sea_orm::{ConnectionTrait, Database};

pub fn on_postgres() -> bool {
    std::env::var("HANDOFF_TEST_DB").is_ok_and(|v| v == "postgres")
}

pub fn pg_base() -> String {
    std::env::var("HANDOFF_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A SQLite URL for a file in the temporary directory that does not exist yet.
fn sqlite_url(label: &str) -> String {
    let path = std::env::temp_dir().join(format!(
        "handoff-{label}-{}.db",
        uuid::Uuid::now_v7().simple()
    ));
    format!("sqlite://{}", path.display())
}

/// The URL of a new, empty database: created on PostgreSQL, a path not yet used on SQLite.
pub async fn fresh_database(label: &str) -> String {
    if !on_postgres() {
        return sqlite_url(label);
    }
    let name = format!("handoff_test_{}", uuid::Uuid::now_v7().simple());
    let admin = Database::connect(format!("{}/postgres", pg_base()))
        .await
        .expect("PostgreSQL is reachable");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    format!("{}/{name}", pg_base())
}
