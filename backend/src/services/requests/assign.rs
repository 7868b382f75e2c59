//! `assign`: claim, assign to a colleague, or unassign.

use handoff_shared::EventKind;
use sea_orm::EntityTrait;
use serde_json::json;

use crate::auth::Principal;
use crate::db::entities::{request, user};
use crate::error::{AppError, AppResult};
use crate::services::access;
use crate::services::change::{Change, Lock};
use crate::state::AppState;

/// What `assign` takes: `user_id` of `None` unassigns; the caller's own id claims.
#[derive(Debug, Clone)]
pub struct AssignInput {
    pub request_id: String,
    pub user_id: Option<String>,
    pub expected_version: Option<i32>,
}

/// Sets or clears the assignee. Assigning the current assignee again changes nothing.
pub async fn assign(
    state: &AppState,
    p: &Principal,
    input: AssignInput,
) -> AppResult<request::Model> {
    let mut change = Change::lock_as(state, p, &input.request_id, Lock::Bump).await?;
    change.check_version(input.expected_version)?;
    if !access::can_work(p, &change.req) {
        return Err(AppError::forbidden("you may not assign this request"));
    }
    let target = match &input.user_id {
        None => None,
        Some(id) => Some(
            user::Entity::find_by_id(id.clone())
                .one(change.db())
                .await?
                .filter(|u| u.active)
                .ok_or_else(|| AppError::invalid("input.userId", "no active user with this id"))?,
        ),
    };
    if change.req.assignee_id == target.as_ref().map(|u| u.id.clone()) {
        return change.abandon(state).await;
    }
    let action = match &target {
        Some(u) if u.id == p.user_id => "claimed",
        Some(_) => "assigned",
        None => "unassigned",
    };
    change
        .record(
            EventKind::Assigned,
            json!({"action": action, "from": change.req.assignee_id, "to": target.as_ref().map(|u| &u.id),
                   "email": target.as_ref().map(|u| &u.email)}),
        )
        .await?;
    change.req.assignee_id = target.map(|u| u.id);
    change.req.updated_at = change.now;
    change.save().await?;
    change.commit(state, EventKind::Assigned).await
}
