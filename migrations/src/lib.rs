//! Database migrations for Handoff.
//!
//! The same migrations run on SQLite (the embedded default) and on PostgreSQL: tables are
//! described with sea-query builders so each backend gets its own column types. Ids are UUIDv7
//! strings, timestamps are UTC, and JSON documents (definitions, request fields, event data) are
//! stored as text so both backends read them the same way. Migrations are append-only: a released
//! migration is never edited, a change is a new file.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261126_000001_initial;
mod m20261126_000002_integrations;
mod m20261129_000003_foreign_keys;
mod m20261129_000004_sessions;
mod m20261129_000005_stream_heads;

/// Runs every migration in order; `handoff serve` calls it at start.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_initial::Migration),
            Box::new(m20261126_000002_integrations::Migration),
            Box::new(m20261129_000003_foreign_keys::Migration),
            Box::new(m20261129_000004_sessions::Migration),
            Box::new(m20261129_000005_stream_heads::Migration),
        ]
    }
}
