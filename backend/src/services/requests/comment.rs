//! `addComment`, and the comment rows transitions and decisions write beside their events.

use handoff_shared::EventKind;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::json;

use super::clean_comment;
use crate::auth::Principal;
use crate::db::entities::{comment, event};
use crate::db::new_id;
use crate::error::{AppError, AppResult};
use crate::services::access;
use crate::services::change::{Change, Lock};
use crate::state::AppState;

/// Writes a comment row on the change's request, by `author` at the change's time.
pub(super) async fn insert_comment(change: &Change, author: &str, body: &str) -> AppResult<()> {
    comment::ActiveModel {
        id: Set(new_id()),
        request_id: Set(change.req.id.clone()),
        author_id: Set(author.to_owned()),
        body: Set(body.to_owned()),
        at: Set(change.now),
    }
    .insert(change.db())
    .await?;
    Ok(())
}

/// Adds a comment. The requester, approvers and workers of a request may comment. A comment
/// does not bump the request's version: it is not an edit a client must reload for.
pub async fn add_comment(
    state: &AppState,
    p: &Principal,
    request_id: &str,
    body: &str,
) -> AppResult<event::Model> {
    let body = clean_comment(Some(body.to_owned()), "input.body")?
        .ok_or_else(|| AppError::invalid("input.body", "is required"))?;
    let mut change = Change::lock_as(state, p, request_id, Lock::Quiet).await?;
    let allowed = change.req.requester_id == p.user_id
        || access::can_work(p, &change.req)
        || access::is_approver(change.db(), &change.req.id, &p.user_id).await?;
    if !allowed {
        return Err(AppError::forbidden("you may not comment on this request"));
    }
    insert_comment(&change, &p.user_id, &body).await?;
    let event = change
        .record(EventKind::Commented, json!({"body": body}))
        .await?;
    change.commit(state, EventKind::Commented).await?;
    Ok(event)
}
