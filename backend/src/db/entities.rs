//! SeaORM entities, one module per table. They are storage shapes only: GraphQL types are
//! built from them in `graphql/<area>/types.rs`, never exposed directly.
//!
//! Ids are UUIDv7 strings; JSON documents are text columns (see the migrations crate), read and
//! written through the typed column types of `db::json`.

macro_rules! entity_boilerplate {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod user {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub email: String,
        pub name: String,
        pub password_hash: Option<String>,
        pub manager_id: Option<String>,
        pub active: bool,
        /// `person` or `service` (the acting user of an API token or inbound hook).
        pub kind: crate::db::enums::UserKind,
        pub created_at: DateTimeUtc,
        /// Raised when the account is deactivated, loses a role or grant, or changes its
        /// password: sessions and tokens issued under an older version stop working.
        pub credentials_version: i32,
        /// Consecutive failed sign-ins since the last successful one.
        pub failed_logins: i32,
        /// The next sign-in attempt is refused before this time.
        pub login_blocked_until: Option<DateTimeUtc>,
    }
    entity_boilerplate!();
}

pub mod session {
    use sea_orm::entity::prelude::*;
    /// One sign-in. The session JWT names this row; revoking it ends the session.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub user_id: String,
        /// The user's `credentials_version` when the session began.
        pub credentials_version: i32,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
    }
    entity_boilerplate!();
}

pub mod team {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "teams")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub key: String,
        pub name: String,
        pub created_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod team_member {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "team_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub team_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: String,
    }
    entity_boilerplate!();
}

pub mod role {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "roles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub key: String,
        pub name: String,
        pub builtin: bool,
        pub created_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod role_permission {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "role_permissions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub role_id: String,
        pub permission: String,
        /// JSON array of workflow keys, or NULL for every workflow.
        pub workflows: Option<crate::db::json::StringList>,
    }
    entity_boilerplate!();
}

pub mod user_role {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_roles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub role_id: String,
    }
    entity_boilerplate!();
}

pub mod api_token {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name: String,
        /// The user the token acts as (its creator).
        pub user_id: String,
        /// Hex SHA-256 of the secret; the secret itself is never stored.
        pub token_hash: String,
        /// JSON array of role keys the token acts with.
        pub roles: crate::db::json::StringList,
        pub created_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
        pub last_used_at: Option<DateTimeUtc>,
        /// The owner's `credentials_version` when the token was made.
        pub credentials_version: i32,
    }
    entity_boilerplate!();
}

pub mod workflow {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "workflows")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub key: String,
        pub version: i32,
        pub name: String,
        pub description: Option<String>,
        pub prefix: String,
        /// The validated definition as JSON.
        pub definition: String,
        /// The text the admin published (YAML or JSON), kept for the editor.
        pub source: String,
        pub published_at: DateTimeUtc,
        pub published_by: Option<String>,
    }
    entity_boilerplate!();
}

pub mod request {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "requests")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub number: String,
        pub workflow_id: String,
        pub workflow_key: String,
        pub workflow_version: i32,
        pub title: String,
        pub status: String,
        pub category: crate::db::enums::StatusCategory,
        pub priority: crate::db::enums::Priority,
        pub team: Option<String>,
        pub assignee_id: Option<String>,
        pub requester_id: String,
        /// JSON object of field values, validated against the workflow version.
        pub fields: crate::db::json::FieldValues,
        pub version: i32,
        pub rework_count: i32,
        pub idempotency_key: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub closed_at: Option<DateTimeUtc>,
        pub status_since: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod approval_step {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "approval_steps")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub request_id: String,
        /// Approval rounds restart when a reapproval field changes; only the latest round counts.
        pub round: i32,
        pub position: i32,
        pub key: String,
        pub state: crate::db::enums::ApprovalState,
        pub policy: String,
        /// JSON array of user ids resolved when the step became active.
        pub approvers: crate::db::json::StringList,
        pub started_at: Option<DateTimeUtc>,
        pub completed_at: Option<DateTimeUtc>,
    }
    entity_boilerplate!();
}

/// Who may decide an approval step: one row per (step, user), filled when the step becomes
/// active. It holds the same ids as `approval_step::Model::approvers` (migration 000003 copied
/// them), so "steps this person may decide" is an indexed lookup instead of a text match.
pub mod approval_step_approver {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "approval_step_approvers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub step_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: String,
    }
    entity_boilerplate!();
}

pub mod approval_decision {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "approval_decisions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub step_id: String,
        pub request_id: String,
        pub approver_id: String,
        pub approve: bool,
        pub comment: Option<String>,
        pub at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod event {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// The hash chain an event belongs to: a request id, or `system` for admin changes.
        pub stream: String,
        pub seq: i64,
        pub request_id: Option<String>,
        pub kind: crate::db::enums::EventKind,
        pub actor_id: Option<String>,
        pub at: DateTimeUtc,
        /// What happened, as a JSON document; its exact text is hashed (`engine::hash`).
        pub data: crate::db::json::JsonText,
        pub prev_hash: String,
        pub hash: String,
        /// How `hash` was computed: 1 for events written before the request id was covered,
        /// 2 since (see `engine::hash::HashVersion`).
        pub hash_version: i32,
    }
    entity_boilerplate!();
}

pub mod stream_head {
    use sea_orm::entity::prelude::*;
    /// A stream's newest event as recorded when it was appended, kept apart from the events so
    /// that deleting the newest events (or a whole stream) shows.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "stream_heads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub stream: String,
        pub last_seq: i64,
        pub last_hash: String,
        pub updated_at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod comment {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "comments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub request_id: String,
        pub author_id: String,
        pub body: String,
        pub at: DateTimeUtc,
    }
    entity_boilerplate!();
}

pub mod outbox {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub request_id: String,
        /// The event that caused the row; deliveries use it as the receiver's idempotency key.
        pub event_id: String,
        /// `actions[i]` of the workflow definition.
        pub action: String,
        /// `webhook` or `notify`.
        pub kind: crate::db::enums::DeliveryKind,
        /// The integration key (webhook) or the notified audience.
        pub target: String,
        /// The JSON body to send, fixed when the row was queued: every attempt sends these bytes.
        pub payload: crate::db::json::JsonText,
        pub state: crate::db::enums::DeliveryState,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub last_error: Option<String>,
        pub delivered_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        /// While `state` is `sending`: until when the claiming worker owns the row. An expired
        /// lease makes the row claimable again (the worker died between sending and recording).
        pub lease_until: Option<DateTimeUtc>,
        pub lease_owner: Option<String>,
        /// A problem that did not fail the delivery (a capture that matched nothing).
        pub warning: Option<String>,
        /// The HTTP status of the latest attempt.
        pub response_code: Option<i32>,
    }
    entity_boilerplate!();
}

pub mod integration {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "integrations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// What definitions name (`erp`, `team-chat`).
        pub key: String,
        /// `webhook` or `chat`.
        pub kind: crate::db::enums::IntegrationKind,
        pub url: String,
        /// `whsec_...`; never shown after creation, never logged (`Debug` redacts it).
        pub secret: Option<String>,
        /// The secret before the latest rotation, still signing until `previous_secret_expires_at`.
        pub previous_secret: Option<String>,
        pub previous_secret_expires_at: Option<DateTimeUtc>,
        pub enabled: bool,
        pub disabled_reason: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Integration")
                .field("key", &self.key)
                .field("kind", &self.kind)
                .field("enabled", &self.enabled)
                .finish_non_exhaustive()
        }
    }
    entity_boilerplate!();
}

pub mod delivery_attempt {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "delivery_attempts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// The outbox row.
        pub delivery_id: String,
        /// 1 for the first attempt of the delivery, counting across replays.
        pub attempt: i32,
        pub at: DateTimeUtc,
        pub status_code: Option<i32>,
        pub latency_ms: i64,
        pub error: Option<String>,
        /// The start of the answer's body (at most 500 characters).
        pub response_excerpt: Option<String>,
    }
    entity_boilerplate!();
}

pub mod notification {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notifications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub user_id: String,
        pub request_id: String,
        /// The audit event that caused it.
        pub event_id: String,
        pub message: String,
        pub created_at: DateTimeUtc,
        pub read_at: Option<DateTimeUtc>,
    }
    entity_boilerplate!();
}

pub mod inbound_hook {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inbound_hooks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub workflow_key: String,
        pub name: String,
        /// Hex SHA-256 of the URL token; the token itself is never stored.
        pub token_hash: String,
        /// `whsec_...` when calls must be signed (kept: verifying needs it).
        pub secret: Option<String>,
        /// The `service` user that submits the hook's requests.
        pub service_user_id: String,
        pub created_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
    }
    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("InboundHook")
                .field("id", &self.id)
                .field("workflow_key", &self.workflow_key)
                .field("name", &self.name)
                .finish_non_exhaustive()
        }
    }
    entity_boilerplate!();
}

impl user::Entity {
    /// One user by id.
    pub async fn find_by_id_model(
        db: &impl sea_orm::ConnectionTrait,
        id: &str,
    ) -> Result<Option<user::Model>, crate::error::AppError> {
        use sea_orm::EntityTrait;
        Ok(user::Entity::find_by_id(id.to_owned()).one(db).await?)
    }
}
