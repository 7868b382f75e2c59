//! `decide`: an approver's decision on the active step. Concurrent decisions on one step are
//! serialised by the request's row lock: the first ends the step, the next finds it decided
//! and answers `CONFLICT`.

use super::comment::insert_comment;
use super::moves::finish_round;
use super::{clean_comment, workflow_of};
use crate::auth::Principal;
use crate::db::entities::request;
use crate::error::{AppError, AppResult};
use crate::services::approvals;
use crate::services::change::{Change, Lock};
use crate::state::AppState;
use handoff_shared::EventKind;

/// What `decide` takes.
#[derive(Debug, Clone)]
pub struct DecisionInput {
    pub request_id: String,
    pub approve: bool,
    pub comment: Option<String>,
    pub expected_version: Option<i32>,
}

/// Records an approver's decision and moves the request on when the round ends.
pub async fn decide(
    state: &AppState,
    p: &Principal,
    input: DecisionInput,
) -> AppResult<request::Model> {
    let comment = clean_comment(input.comment, "input.comment")?;
    let mut change = Change::lock_as(state, p, &input.request_id, Lock::Bump).await?;
    change.check_version(input.expected_version)?;
    let def = workflow_of(state, change.db(), &change.req).await?;
    if def
        .approvals
        .as_ref()
        .is_none_or(|a| a.status != change.req.status)
    {
        if change.req.requester_id == p.user_id {
            return Err(AppError::forbidden(
                "a requester never approves their own request",
            ));
        }
        return Err(AppError::Conflict(
            "this request is not waiting for approval".into(),
        ));
    }
    let round = approvals::decide(
        &mut change,
        &def,
        &p.user_id,
        input.approve,
        comment.clone(),
    )
    .await?;
    if let Some(c) = &comment {
        insert_comment(&change, &p.user_id, c).await?;
    }
    change.req.updated_at = change.now;
    change.save().await?;
    finish_round(&mut change, &def, round).await?;
    change.commit(state, EventKind::Decided).await
}
