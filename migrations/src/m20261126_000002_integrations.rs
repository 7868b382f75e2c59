//! Integrations: configured endpoints (webhook and chat), the outbox's delivery bookkeeping
//! (leases, warnings, the log of every attempt), in-app notifications and inbound hook tokens.
//!
//! The outbox table exists since the first migration; its new columns are added one `ALTER
//! TABLE` at a time because SQLite accepts a single change per statement.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
#[expect(
    elided_lifetimes_in_paths,
    reason = "`MigrationTrait` elides `SchemaManager`'s lifetime and `async_trait` needs the impl to match"
)]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = vec![
            table(
                "integrations",
                vec![
                    id("id"),
                    string("key"),
                    string("kind"),
                    text("url"),
                    // Kept as given: signing needs the secret itself (unlike tokens, which are
                    // only compared and so are stored hashed).
                    text_null("secret"),
                    text_null("previous_secret"),
                    time_null("previous_secret_expires_at"),
                    boolean("enabled"),
                    text_null("disabled_reason"),
                    time("created_at"),
                    time("updated_at"),
                ],
            ),
            table(
                "delivery_attempts",
                vec![
                    id("id"),
                    string("delivery_id"),
                    int("attempt"),
                    time("at"),
                    int_null("status_code"),
                    bigint("latency_ms"),
                    text_null("error"),
                    text_null("response_excerpt"),
                ],
            ),
            table(
                "notifications",
                vec![
                    id("id"),
                    string("user_id"),
                    string("request_id"),
                    string("event_id"),
                    text("message"),
                    time("created_at"),
                    time_null("read_at"),
                ],
            ),
            table(
                "inbound_hooks",
                vec![
                    id("id"),
                    string("workflow_key"),
                    string("name"),
                    string("token_hash"),
                    text_null("secret"),
                    string("service_user_id"),
                    time("created_at"),
                    time_null("revoked_at"),
                ],
            ),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        for column in [
            time_null("lease_until"),
            string_null("lease_owner"),
            text_null("warning"),
            int_null("response_code"),
        ] {
            let mut column = column;
            m.alter_table(
                Table::alter()
                    .table("outbox")
                    .add_column(&mut column)
                    .take(),
            )
            .await?;
        }
        let indexes = [
            index("integrations", "ux_integrations_key", &["key"], true),
            index(
                "delivery_attempts",
                "ix_delivery_attempts_delivery",
                &["delivery_id", "attempt"],
                false,
            ),
            index(
                "notifications",
                "ix_notifications_user",
                &["user_id", "created_at"],
                false,
            ),
            index(
                "inbound_hooks",
                "ux_inbound_hooks_token",
                &["token_hash"],
                true,
            ),
            index("outbox", "ix_outbox_request", &["request_id"], false),
            // One row per (event, action): an action cannot be queued twice for one event.
            index(
                "outbox",
                "ux_outbox_event_action",
                &["event_id", "action"],
                true,
            ),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for i in ["ix_outbox_request", "ux_outbox_event_action"] {
            m.drop_index(Index::drop().name(i).table("outbox").to_owned())
                .await?;
        }
        for c in ["lease_until", "lease_owner", "warning", "response_code"] {
            m.alter_table(Table::alter().table("outbox").drop_column(c).to_owned())
                .await?;
        }
        for t in [
            "inbound_hooks",
            "notifications",
            "delivery_attempts",
            "integrations",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
