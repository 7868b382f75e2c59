//! The engine's use cases on requests, one file each: `submit`, `transition`, `decide`,
//! `fields` (update and capture), `comment`, `assign`, and `read` (what a caller may see and
//! do). Each opens a [`Change`](crate::services::change::Change), asks the pure rules
//! (`crate::engine`, `handoff_shared`) what happens, applies the answer and commits; `moves`
//! holds the steps several of them share (entering a status, starting and finishing an
//! approval round).

mod assign;
mod comment;
mod decide;
mod fields;
mod moves;
mod read;
mod submit;
mod transition;

use std::sync::Arc;

use handoff_shared::definition::Definition;
use handoff_shared::form::refuse_control_chars;
use sea_orm::{ConnectionTrait, EntityTrait};

pub use assign::{AssignInput, assign};
pub use comment::add_comment;
pub use decide::{DecisionInput, decide};
pub use fields::{UpdateFieldsInput, capture_fields, update_fields};
pub use read::{available_transitions, get_readable};
pub use submit::{SubmitInput, submit};
pub use transition::{TransitionInput, transition};

use crate::auth::Principal;
use crate::db::entities::{request, workflow};
use crate::engine::transitions::{Refusal, Relation};
use crate::error::{AppError, AppResult};
use crate::services::{access, workflows};
use crate::state::AppState;

/// Longest comment accepted, in characters.
pub const MAX_COMMENT_CHARS: usize = 10_000;
/// Longest idempotency key accepted.
pub const MAX_IDEMPOTENCY_KEY: usize = 200;

/// The definition of the version the request runs on.
async fn workflow_of(
    state: &AppState,
    db: &impl ConnectionTrait,
    req: &request::Model,
) -> AppResult<Arc<Definition>> {
    let row = workflow::Entity::find_by_id(req.workflow_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("request {} has no workflow row", req.id))
        })?;
    workflows::definition_of(state, &row)
}

/// A trimmed comment, `None` when blank; too long or holding control characters is
/// `VALIDATION_FAILED` on `path`.
fn clean_comment(comment: Option<String>, path: &str) -> AppResult<Option<String>> {
    let Some(c) = comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
    else {
        return Ok(None);
    };
    if c.chars().count() > MAX_COMMENT_CHARS {
        return Err(AppError::invalid(
            path,
            format!("at most {MAX_COMMENT_CHARS} characters"),
        ));
    }
    refuse_control_chars(&c).map_err(|message| AppError::invalid(path, message))?;
    Ok(Some(c))
}

/// How the caller relates to the request, for the transition rules.
fn relation<'a>(p: &'a Principal, req: &request::Model) -> Relation<'a> {
    Relation {
        is_requester: req.requester_id == p.user_id,
        is_assignee: req.assignee_id.as_deref() == Some(p.user_id.as_str()),
        in_team: p.in_team(req.team.as_deref()),
        roles: &p.roles,
        can_work: access::can_work(p, req),
    }
}

/// The error a refused transition answers.
fn refused(refusal: Refusal) -> AppError {
    match refusal {
        Refusal::Unknown(key) => {
            AppError::invalid("input.transition", format!("unknown transition \"{key}\""))
        }
        Refusal::NotFromHere { label, status } => AppError::Conflict(format!(
            "\"{label}\" is not available in status \"{status}\""
        )),
        Refusal::NotPermitted { label } => {
            AppError::forbidden(format!("you may not \"{label}\" this request"))
        }
        Refusal::CommentRequired { label } => AppError::invalid(
            "input.comment",
            format!("a comment is required to \"{label}\""),
        ),
        Refusal::Missing { label, fields } => AppError::invalid_all(
            fields
                .into_iter()
                .map(|k| handoff_shared::Problem {
                    path: format!("fields.{k}"),
                    message: format!("is required to \"{label}\""),
                })
                .collect(),
        ),
        Refusal::GuardFails { label, guard } => AppError::invalid(
            "input.transition",
            format!("the condition of \"{label}\" does not hold: {guard}"),
        ),
    }
}
