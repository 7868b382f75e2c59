//! Storage: the connection, entities and small query helpers that take `&impl ConnectionTrait`
//! so they work inside or outside a transaction. No business rules live here.
//!
//! Every write transaction starts with [`begin_write`], which bounds how long it may wait for
//! a lock: SQLite takes its write lock at `BEGIN IMMEDIATE` (waiting at most the busy timeout),
//! PostgreSQL waits for row locks at most `lock_timeout`. A wait that runs out is a
//! [`is_lock_timeout`] error, which `AppError` answers as `CONFLICT` ("retry"), never as
//! `INTERNAL`.

pub mod approvers;
pub mod batch;
pub mod entities;
pub mod enums;
pub mod json;

use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, RuntimeErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

/// How long a write waits for a lock held by another writer unless configured otherwise
/// (`HANDOFF_LOCK_TIMEOUT_SECS`).
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens the database named by `url` (`sqlite://file.db` or `postgres://...`) and runs the
/// migrations, with the default lock timeout. SQLite files are created when missing, run in
/// WAL mode, enforce foreign keys, and wait for the write lock at most the lock timeout.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with(url, DEFAULT_LOCK_TIMEOUT).await
}

/// [`connect`] with a lock timeout of its own (SQLite's busy timeout).
pub async fn connect_with(url: &str, lock_timeout: Duration) -> Result<DatabaseConnection, DbErr> {
    let db = open_with(url, lock_timeout).await?;
    handoff_migrations::Migrator::up(&db, None).await?;
    Ok(db)
}

/// Opens the database like [`connect`] without running the migrations (tests of a migration
/// stop at the one before it).
pub async fn open(url: &str) -> Result<DatabaseConnection, DbErr> {
    open_with(url, DEFAULT_LOCK_TIMEOUT).await
}

async fn open_with(url: &str, lock_timeout: Duration) -> Result<DatabaseConnection, DbErr> {
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
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(lock_timeout)
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// Opens an existing, fully migrated database for reading only, for `handoff audit`: it never
/// creates a file, never runs a migration and never writes.
///
/// A SQLite URL must name a file that exists; it is opened with `mode=ro`. A PostgreSQL
/// database must exist. Either way the database must have every migration this binary knows
/// applied, and no other: verifying a half-migrated or a newer schema would report nonsense.
/// Reads go through [`read_only_transaction`].
pub async fn open_read_only(url: &str) -> anyhow::Result<DatabaseConnection> {
    use anyhow::{Context, bail};
    use sea_orm::ConnectOptions;

    let url = if url.starts_with("sqlite:") {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if path.is_empty() || path.contains(":memory:") {
            bail!("{url} names no database file");
        }
        if !std::path::Path::new(path).is_file() {
            bail!("no SQLite database at {path}: check the path (nothing was created)");
        }
        let mut params: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("mode="))
            .collect();
        params.push("mode=ro");
        format!("sqlite://{path}?{}", params.join("&"))
    } else {
        url.to_owned()
    };
    let mut options = ConnectOptions::new(url.clone());
    options
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(15))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| o.busy_timeout(Duration::from_secs(15)));
    let db = Database::connect(options)
        .await
        .with_context(|| format!("cannot open {}", crate::config::redact_url(&url)))?;
    let migrations = handoff_migrations::Migrator::get_migration_with_status_read_only(&db)
        .await
        .context("cannot tell which migrations ran on the database")?;
    let pending: Vec<&str> = migrations
        .iter()
        .filter(|m| m.status() == sea_orm_migration::MigrationStatus::Pending)
        .map(|m| m.name())
        .collect();
    if pending.len() == migrations.len() {
        bail!(
            "{} is not a Handoff database (no migration has run on it)",
            crate::config::redact_url(&url)
        );
    }
    if !pending.is_empty() {
        bail!(
            "the database is not migrated to this version of handoff (pending: {}); start              `handoff serve` on it once to migrate",
            pending.join(", ")
        );
    }
    Ok(db)
}

/// A transaction that sees one consistent state of the database and cannot write: on
/// PostgreSQL `REPEATABLE READ, READ ONLY`; on SQLite a deferred transaction, whose first read
/// fixes its snapshot (the connection is read-only already, see [`open_read_only`]).
pub async fn read_only_transaction(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{AccessMode, IsolationLevel, TransactionTrait};
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await
        }
        _ => db.begin().await,
    }
}

/// Begins a write transaction whose lock waits are bounded by `lock_timeout`.
///
/// On SQLite the transaction is `BEGIN IMMEDIATE`: it takes the database's write lock at once,
/// waiting at most the connection's busy timeout. A deferred transaction would take it at its
/// first write instead, and when another writer committed in between, SQLite refuses the
/// upgrade at once with "database is locked" without waiting at all: the busy timeout cannot
/// help a transaction that has already read. On PostgreSQL the transaction sets its own
/// `lock_timeout`, so waiting for a row lock another change holds ends with `55P03`.
///
/// Every service that writes in a transaction begins it here; reads need no transaction.
pub async fn begin_write(
    db: &DatabaseConnection,
    lock_timeout: Duration,
) -> Result<DatabaseTransaction, DbErr> {
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // `SET` takes no bind parameters; the value is a number this process computed.
        let millis = lock_timeout.as_millis().max(1);
        txn.execute_unprepared(&format!("SET LOCAL lock_timeout = '{millis}ms'"))
            .await?;
    }
    Ok(txn)
}

/// Whether a database error says a lock wait ran out: SQLite's `SQLITE_BUSY` / `SQLITE_LOCKED`
/// (with their extended codes) or PostgreSQL's `lock_not_available` (55P03), and the two ways
/// PostgreSQL ends one of two transactions that wait for each other (`deadlock_detected`,
/// `serialization_failure`). Retrying the same change later may succeed: another change held
/// what this one needed.
pub fn is_lock_timeout(err: &DbErr) -> bool {
    let (DbErr::Exec(RuntimeErr::SqlxError(e))
    | DbErr::Query(RuntimeErr::SqlxError(e))
    | DbErr::Conn(RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    let sea_orm::sqlx::Error::Database(e) = e.as_ref() else {
        return false;
    };
    let Some(code) = e.code() else {
        return false;
    };
    if e.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
        .is_some()
    {
        // The extended result code; its low byte is the primary code (5 busy, 6 locked).
        return code
            .parse::<i32>()
            .is_ok_and(|extended| matches!(extended & 0xff, 5 | 6));
    }
    matches!(code.as_ref(), "55P03" | "40P01" | "40001")
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
