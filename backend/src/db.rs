//! Storage: the connection, entities and small query helpers that take `&impl ConnectionTrait`
//! so they work inside or outside a transaction. No business rules live here.

pub mod approvers;
pub mod batch;
pub mod entities;
pub mod enums;
pub mod json;

use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};
use sea_orm_migration::MigratorTrait;

/// Opens the database named by `url` (`sqlite://file.db` or `postgres://...`) and runs the
/// migrations. SQLite files are created when missing, run in WAL mode, enforce foreign keys,
/// and wait for the write lock instead of failing at once.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let db = open(url).await?;
    handoff_migrations::Migrator::up(&db, None).await?;
    Ok(db)
}

/// Opens the database like [`connect`] without running the migrations (tests of a migration
/// stop at the one before it).
pub async fn open(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut url = url.to_owned();
    if url.starts_with("sqlite:") && !url.contains("mode=") && !url.contains(":memory:") {
        url.push_str(if url.contains('?') {
            "&mode=rwc"
        } else {
            "?mode=rwc"
        });
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(15))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(15))
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// A new UUIDv7 id: time-ordered, so ids sort by creation.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The current time truncated to microseconds, the precision PostgreSQL stores, so a value
/// read back compares equal to the one written (keyset cursors depend on it).
pub fn now() -> DateTime<Utc> {
    truncate_micros(Utc::now())
}

pub fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = t.nanosecond() / 1_000 * 1_000;
    t.with_nanosecond(nanos).unwrap_or(t)
}

/// Whether a database error is a unique-constraint violation (a duplicate). To turn one into a
/// client error use `error::OnDuplicate`, the one mapping; this is for code that recovers
/// instead (a concurrent submission with the same idempotency key answers the winner).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Builds a raw statement for the connection's backend, using `$1`-style placeholders that
/// are rewritten to `?` for SQLite.
pub fn statement(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> sea_orm::Statement {
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Sqlite {
        let mut out = String::with_capacity(sql.len());
        let mut chars = sql.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                    chars.next();
                }
                out.push('?');
            } else {
                out.push(c);
            }
        }
        out
    } else {
        sql.to_owned()
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Migration 000003 rebuilds SQLite tables on a connection of its own; an in-memory
    /// database must be the same database on that connection (sqlx names it for shared cache).
    #[tokio::test]
    async fn an_in_memory_database_migrates_to_the_latest_schema() {
        let db = connect("sqlite::memory:").await.unwrap();
        let row = db
            .query_one_raw(statement(
                &db,
                "SELECT COUNT(*) AS n FROM pragma_foreign_key_list('events')",
                vec![],
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<i64>("", "n").unwrap(), 2);
    }
}
