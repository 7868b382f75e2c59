//! Credentials that end when they should: revocable sign-in sessions, a per-user credentials
//! version, and the bookkeeping of failed sign-ins.
//!
//! - `sessions`: one row per sign-in. The session JWT names its row (`sid`); a revoked or
//!   expired row ends the session whatever the JWT says.
//! - `users.credentials_version`: raised when an account is deactivated, loses a role or a
//!   grant, or changes its password. Sessions and API tokens record the version they were
//!   issued under and stop working when it moves.
//! - `users.failed_logins` and `users.login_blocked_until`: consecutive failed sign-ins and the
//!   time before which the next attempt is refused, so throttling survives a restart and holds
//!   across processes sharing the database.
//!
//! Existing users and tokens start at version 1, so nothing signed in before stops working
//! except sessions, which the JWT format change ends anyway.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_query::ForeignKeyAction;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn int_default(name: &'static str, value: i32) -> ColumnDef {
    ColumnDef::new(name)
        .integer()
        .not_null()
        .default(value)
        .take()
}

#[async_trait::async_trait]
#[expect(
    elided_lifetimes_in_paths,
    reason = "`MigrationTrait` elides `SchemaManager`'s lifetime and `async_trait` needs the impl to match"
)]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut sessions = table(
            "sessions",
            vec![
                id("id"),
                ColumnDef::new("user_id").string_len(36).not_null().take(),
                int("credentials_version"),
                time("created_at"),
                time("expires_at"),
                time_null("revoked_at"),
            ],
        );
        sessions.foreign_key(
            ForeignKey::create()
                .name("fk_sessions_user")
                .from("sessions", "user_id")
                .to("users", "id")
                .on_delete(ForeignKeyAction::Cascade),
        );
        m.create_table(sessions).await?;
        m.create_index(index("sessions", "ix_sessions_user", &["user_id"], false))
            .await?;
        // SQLite accepts one change per ALTER TABLE.
        let additions = [
            ("users", int_default("credentials_version", 1)),
            ("users", int_default("failed_logins", 0)),
            ("users", time_null("login_blocked_until")),
            ("api_tokens", int_default("credentials_version", 1)),
        ];
        for (table_name, mut column) in additions {
            m.alter_table(
                Table::alter()
                    .table(table_name)
                    .add_column(&mut column)
                    .take(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table_name, column) in [
            ("api_tokens", "credentials_version"),
            ("users", "login_blocked_until"),
            ("users", "failed_logins"),
            ("users", "credentials_version"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(table_name)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.drop_table(Table::drop().table("sessions").to_owned())
            .await?;
        Ok(())
    }
}
