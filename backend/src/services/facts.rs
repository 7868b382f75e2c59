//! What rules see about a request beyond its own row: the requester's email and first team,
//! which expressions read as `requester.email` and `requester.team`. Loaded once per change and
//! turned into the `handoff_shared` contexts that routing, guards, step conditions and form
//! validation take.

use chrono::{DateTime, Utc};
use handoff_shared::definition::Definition;
use handoff_shared::expr::ExprContext;
use handoff_shared::form::FormContext;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Map, Value};

use crate::db::entities::{request, user};
use crate::error::AppResult;
use crate::services::directory;

/// The requester as expressions see them.
#[derive(Debug, Clone, Default)]
pub struct Requester {
    pub email: String,
    /// The requester's first team (by key), when they belong to one.
    pub team: Option<String>,
}

impl Requester {
    /// Loads the requester of `req`.
    pub async fn of(db: &impl ConnectionTrait, req: &request::Model) -> AppResult<Self> {
        let email = user::Entity::find_by_id(req.requester_id.clone())
            .one(db)
            .await?
            .map(|u| u.email)
            .unwrap_or_default();
        let ids = std::slice::from_ref(&req.requester_id);
        let mut teams = directory::teams_of_users(db, ids).await?;
        let team = teams
            .remove(&req.requester_id)
            .and_then(|keys| keys.into_iter().next());
        Ok(Self { email, team })
    }

    /// The expression context over `fields` (which may differ from the stored ones while a
    /// change merges edits).
    pub fn expr<'a>(
        &'a self,
        definition: &'a Definition,
        fields: &'a Map<String, Value>,
        req: &request::Model,
        now: DateTime<Utc>,
    ) -> ExprContext<'a> {
        ExprContext {
            definition,
            fields,
            priority: Some(req.priority.into()),
            requester_email: &self.email,
            requester_team: self.team.as_deref(),
            now,
        }
    }

    /// The form-validation context for an edit of `req`.
    pub fn form(&self, req: &request::Model, now: DateTime<Utc>) -> FormContext<'_> {
        FormContext {
            priority: Some(req.priority.into()),
            requester_email: &self.email,
            requester_team: self.team.as_deref(),
            now,
        }
    }
}
