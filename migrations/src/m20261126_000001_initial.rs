//! The first schema: people and access (users, teams, roles, API tokens), workflow versions,
//! requests with their approvals, the audit trail, comments and the outbox.

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
                "users",
                vec![
                    id("id"),
                    string("email"),
                    string("name"),
                    text_null("password_hash"),
                    string_null("manager_id"),
                    boolean("active"),
                    string("kind"),
                    time("created_at"),
                ],
            ),
            table(
                "teams",
                vec![id("id"), string("key"), string("name"), time("created_at")],
            ),
            primary_pair("team_members", "team_id", "user_id"),
            table(
                "roles",
                vec![
                    id("id"),
                    string("key"),
                    string("name"),
                    boolean("builtin"),
                    time("created_at"),
                ],
            ),
            table(
                "role_permissions",
                vec![
                    id("id"),
                    string("role_id"),
                    string("permission"),
                    text_null("workflows"),
                ],
            ),
            primary_pair("user_roles", "user_id", "role_id"),
            table(
                "api_tokens",
                vec![
                    id("id"),
                    string("name"),
                    string("user_id"),
                    string("token_hash"),
                    text("roles"),
                    time("created_at"),
                    time_null("revoked_at"),
                    time_null("last_used_at"),
                ],
            ),
            table(
                "workflows",
                vec![
                    id("id"),
                    string("key"),
                    int("version"),
                    string("name"),
                    text_null("description"),
                    string("prefix"),
                    text("definition"),
                    text("source"),
                    time("published_at"),
                    string_null("published_by"),
                ],
            ),
            Table::create()
                .table("request_counters")
                .col(ColumnDef::new("prefix").string().not_null().primary_key())
                .col(ColumnDef::new("last_number").big_integer().not_null())
                .take(),
            table(
                "requests",
                vec![
                    id("id"),
                    string("number"),
                    string("workflow_id"),
                    string("workflow_key"),
                    int("workflow_version"),
                    string("title"),
                    string("status"),
                    string("category"),
                    string("priority"),
                    string_null("team"),
                    string_null("assignee_id"),
                    string("requester_id"),
                    text("fields"),
                    int("version"),
                    int("rework_count"),
                    string_null("idempotency_key"),
                    time("created_at"),
                    time("updated_at"),
                    time_null("closed_at"),
                    time("status_since"),
                ],
            ),
            table(
                "approval_steps",
                vec![
                    id("id"),
                    string("request_id"),
                    int("round"),
                    int("position"),
                    string("key"),
                    string("state"),
                    string("policy"),
                    text("approvers"),
                    time_null("started_at"),
                    time_null("completed_at"),
                ],
            ),
            table(
                "approval_decisions",
                vec![
                    id("id"),
                    string("step_id"),
                    string("request_id"),
                    string("approver_id"),
                    boolean("approve"),
                    text_null("comment"),
                    time("at"),
                ],
            ),
            table(
                "events",
                vec![
                    id("id"),
                    string("stream"),
                    bigint("seq"),
                    string_null("request_id"),
                    string("kind"),
                    string_null("actor_id"),
                    time("at"),
                    text("data"),
                    string("prev_hash"),
                    string("hash"),
                ],
            ),
            table(
                "comments",
                vec![
                    id("id"),
                    string("request_id"),
                    string("author_id"),
                    text("body"),
                    time("at"),
                ],
            ),
            table(
                "outbox",
                vec![
                    id("id"),
                    string("request_id"),
                    string("event_id"),
                    string("action"),
                    string("kind"),
                    string("target"),
                    text("payload"),
                    string("state"),
                    int("attempts"),
                    time("next_attempt_at"),
                    text_null("last_error"),
                    time_null("delivered_at"),
                    time("created_at"),
                ],
            ),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        let indexes = [
            index("users", "ux_users_email", &["email"], true),
            index("teams", "ux_teams_key", &["key"], true),
            index("team_members", "ix_team_members_user", &["user_id"], false),
            index("roles", "ux_roles_key", &["key"], true),
            index(
                "role_permissions",
                "ix_role_permissions_role",
                &["role_id"],
                false,
            ),
            index("api_tokens", "ux_api_tokens_hash", &["token_hash"], true),
            index(
                "workflows",
                "ux_workflows_key_version",
                &["key", "version"],
                true,
            ),
            index("requests", "ux_requests_number", &["number"], true),
            index(
                "requests",
                "ux_requests_idempotency",
                &["requester_id", "idempotency_key"],
                true,
            ),
            index(
                "requests",
                "ix_requests_created",
                &["created_at", "id"],
                false,
            ),
            index(
                "requests",
                "ix_requests_team",
                &["team", "created_at"],
                false,
            ),
            index(
                "requests",
                "ix_requests_requester",
                &["requester_id"],
                false,
            ),
            index("requests", "ix_requests_assignee", &["assignee_id"], false),
            index(
                "approval_steps",
                "ix_approval_steps_request",
                &["request_id"],
                false,
            ),
            index(
                "approval_decisions",
                "ux_approval_decisions_step_approver",
                &["step_id", "approver_id"],
                true,
            ),
            index("events", "ux_events_stream_seq", &["stream", "seq"], true),
            index("events", "ix_events_request", &["request_id"], false),
            index("events", "ix_events_at", &["at", "id"], false),
            index("comments", "ix_comments_request", &["request_id"], false),
            index(
                "outbox",
                "ix_outbox_due",
                &["state", "next_attempt_at"],
                false,
            ),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "outbox",
            "comments",
            "events",
            "approval_decisions",
            "approval_steps",
            "requests",
            "request_counters",
            "workflows",
            "api_tokens",
            "user_roles",
            "role_permissions",
            "roles",
            "team_members",
            "teams",
            "users",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
