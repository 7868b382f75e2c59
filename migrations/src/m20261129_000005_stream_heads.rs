//! The audit trail's stream heads, the hash scheme version of each event, and the triggers that
//! make `events` append-only.
//!
//! # Why heads
//!
//! A hash chain proves that nothing before its last event was changed, but not that the last
//! event is still there: deleting a request's newest event, a whole stream, or the newest system
//! event leaves chains that verify. `stream_heads` holds, apart from the events, each stream's
//! last sequence number and hash, written in the same transaction as every appended event
//! (`services::audit::append`). `handoff audit verify` compares each chain with its head, so a
//! missing tail is reported; a head can itself be compared with a signed checkpoint kept outside
//! the database (`handoff audit checkpoint`).
//!
//! The backfill takes each existing stream's newest event as its head: it trusts the events as
//! they are when the migration runs, which is the best that can be known about them.
//!
//! # Hash scheme versions
//!
//! `events.hash_version` says how an event's hash was computed. Version 1 (every event written
//! before this migration, hence the column's default) covers neither the request id nor, apart
//! from the stream key, which stream kind the event belongs to; version 2 covers both. Old
//! events keep verifying under the rule they were written with; new events use version 2.
//!
//! # Append-only
//!
//! Nothing in the application updates or deletes events (outbox rows and notifications point at
//! them; they never change). The triggers make the database refuse it too: PostgreSQL raises an
//! exception before any `UPDATE`, `DELETE` or `TRUNCATE` of `events`; SQLite aborts `UPDATE` and
//! `DELETE`. A head may only move forwards, and is never deleted. Someone with DDL rights can
//! drop the triggers first (the tests that play an attacker do exactly that); the heads and an
//! outside checkpoint are what catch such an edit.
//!
//! # Re-running
//!
//! sea-orm-migration runs SQLite migrations outside a transaction, so a process that dies half
//! way leaves part of the work done. Every step is written to be repeated: the column is added
//! only when missing, the table and triggers are created `IF NOT EXISTS`, and the backfill skips
//! streams that already have a head. On PostgreSQL the whole migration is one transaction.
//!
//! # Rolling back
//!
//! `down` drops the triggers and `stream_heads` but keeps `events.hash_version`: without it the
//! version 2 events could no longer be verified, and the code of an earlier release, which does
//! not name the column, writes version 1 events through its default, which is what that code
//! computes. Running `up` again backfills the heads from the events as they are then.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const HEADS: &str = "stream_heads";

/// The heads table; on SQLite and PostgreSQL alike.
fn heads_table() -> TableCreateStatement {
    let mut t = table(
        HEADS,
        vec![
            ColumnDef::new("stream")
                .string()
                .not_null()
                .primary_key()
                .take(),
            bigint("last_seq"),
            string("last_hash"),
            time("updated_at"),
        ],
    );
    t.if_not_exists();
    t
}

/// Each stream's newest event becomes its head, unless the stream has one already.
const BACKFILL: &str = "INSERT INTO stream_heads (stream, last_seq, last_hash, updated_at) \
     SELECT e.stream, e.seq, e.hash, e.at FROM events e \
     WHERE e.seq = (SELECT MAX(x.seq) FROM events x WHERE x.stream = e.stream) \
     AND NOT EXISTS (SELECT 1 FROM stream_heads h WHERE h.stream = e.stream)";

const SQLITE_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events \
     BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END",
    "CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events \
     BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END",
    "CREATE TRIGGER IF NOT EXISTS stream_heads_forward BEFORE UPDATE ON stream_heads \
     WHEN NEW.last_seq < OLD.last_seq OR NEW.stream <> OLD.stream \
     BEGIN SELECT RAISE(ABORT, 'stream heads only move forwards'); END",
    "CREATE TRIGGER IF NOT EXISTS stream_heads_no_delete BEFORE DELETE ON stream_heads \
     BEGIN SELECT RAISE(ABORT, 'stream heads are never deleted'); END",
];

const SQLITE_DROP: &[&str] = &[
    "DROP TRIGGER IF EXISTS events_no_update",
    "DROP TRIGGER IF EXISTS events_no_delete",
    "DROP TRIGGER IF EXISTS stream_heads_forward",
    "DROP TRIGGER IF EXISTS stream_heads_no_delete",
];

const POSTGRES_TRIGGERS: &[&str] = &[
    "CREATE OR REPLACE FUNCTION handoff_events_append_only() RETURNS trigger \
     LANGUAGE plpgsql AS $$ BEGIN \
     RAISE EXCEPTION 'events are append-only: % refused', TG_OP; \
     END $$",
    "CREATE OR REPLACE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events \
     FOR EACH ROW EXECUTE FUNCTION handoff_events_append_only()",
    "CREATE OR REPLACE TRIGGER events_no_truncate BEFORE TRUNCATE ON events \
     FOR EACH STATEMENT EXECUTE FUNCTION handoff_events_append_only()",
    "CREATE OR REPLACE FUNCTION handoff_stream_heads_forward() RETURNS trigger \
     LANGUAGE plpgsql AS $$ BEGIN \
     IF TG_OP = 'UPDATE' THEN \
     IF NEW.last_seq >= OLD.last_seq AND NEW.stream = OLD.stream THEN RETURN NEW; END IF; \
     END IF; \
     RAISE EXCEPTION 'stream heads only move forwards: % refused', TG_OP; \
     END $$",
    "CREATE OR REPLACE TRIGGER stream_heads_forward BEFORE UPDATE OR DELETE ON stream_heads \
     FOR EACH ROW EXECUTE FUNCTION handoff_stream_heads_forward()",
    "CREATE OR REPLACE TRIGGER stream_heads_no_truncate BEFORE TRUNCATE ON stream_heads \
     FOR EACH STATEMENT EXECUTE FUNCTION handoff_stream_heads_forward()",
];

const POSTGRES_DROP: &[&str] = &[
    "DROP TRIGGER IF EXISTS events_append_only ON events",
    "DROP TRIGGER IF EXISTS events_no_truncate ON events",
    "DROP FUNCTION IF EXISTS handoff_events_append_only()",
];

#[async_trait::async_trait]
#[expect(
    elided_lifetimes_in_paths,
    reason = "`MigrationTrait` elides `SchemaManager`'s lifetime and `async_trait` needs the impl to match"
)]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if !m.has_column("events", "hash_version").await? {
            m.alter_table(
                Table::alter()
                    .table("events")
                    .add_column(
                        ColumnDef::new("hash_version")
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .take(),
            )
            .await?;
        }
        m.create_table(heads_table()).await?;
        let db = m.get_connection();
        db.execute_unprepared(BACKFILL).await?;
        let triggers = match m.get_database_backend() {
            DbBackend::Sqlite => SQLITE_TRIGGERS,
            _ => POSTGRES_TRIGGERS,
        };
        for sql in triggers {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let drops = match m.get_database_backend() {
            DbBackend::Sqlite => SQLITE_DROP,
            _ => POSTGRES_DROP,
        };
        for sql in drops {
            db.execute_unprepared(sql).await?;
        }
        // Dropping the table drops its triggers (and, on PostgreSQL, leaves the function,
        // dropped after it).
        m.drop_table(Table::drop().table(HEADS).if_exists().take())
            .await?;
        if m.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS handoff_stream_heads_forward()")
                .await?;
        }
        Ok(())
    }
}
