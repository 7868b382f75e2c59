//! Approval rounds: when a request enters the approval status, its steps are laid out in order
//! (conditional steps skipped), the first is activated with its approvers resolved, and each
//! decision moves the round on. A rejection ends the round; finishing all steps approves it.
//! Works on an open [`Change`] (the request's locked transaction); the policy arithmetic is the
//! engine's (`engine::approvals`).

use crate::db::json::StringList;
use handoff_shared::EventKind;
use std::collections::HashMap;

use handoff_shared::definition::{ApprovalPolicy, Approver, Definition};
use handoff_shared::routing::applicable_steps;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::db::entities::{approval_decision, approval_step, request, user};
use crate::db::enums::ApprovalState;
use crate::db::{approvers, new_id};
use crate::engine::approvals::{RoundState, StepOutcome, step_outcome};
use crate::error::{AppError, AppResult, Duplicate, OnDuplicate};
use crate::services::change::Change;
use crate::services::directory;
use crate::services::facts::Requester;

/// The steps of the latest round, in order.
pub async fn current_round(
    db: &impl ConnectionTrait,
    request_id: &str,
) -> AppResult<Vec<approval_step::Model>> {
    let steps = approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.eq(request_id))
        .order_by_desc(approval_step::Column::Round)
        .order_by_asc(approval_step::Column::Position)
        .all(db)
        .await?;
    let Some(round) = steps.first().map(|s| s.round) else {
        return Ok(vec![]);
    };
    Ok(steps.into_iter().filter(|s| s.round == round).collect())
}

/// Resolves a step's approvers to active user ids, never including the requester.
async fn resolve_approvers(
    db: &impl ConnectionTrait,
    approvers: &[Approver],
    req: &request::Model,
    fields: &serde_json::Map<String, serde_json::Value>,
) -> AppResult<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    for a in approvers {
        match a {
            Approver::RequesterManager => {
                let requester = user::Entity::find_by_id(req.requester_id.clone())
                    .one(db)
                    .await?;
                ids.extend(requester.and_then(|u| u.manager_id));
            }
            Approver::Role(role) => ids.extend(directory::users_with_role(db, role).await?),
            Approver::Team(team) => {
                let members = directory::members_of_teams(db, std::slice::from_ref(team)).await?;
                ids.extend(members.into_values().flatten());
            }
            Approver::User(email) => {
                ids.extend(
                    directory::find_user_by_email(db, email)
                        .await?
                        .map(|u| u.id),
                );
            }
            Approver::Field(key) => {
                if let Some(email) = fields.get(key).and_then(|v| v.as_str()) {
                    ids.extend(
                        directory::find_user_by_email(db, email)
                            .await?
                            .map(|u| u.id),
                    );
                }
            }
        }
    }
    let active: Vec<String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids.clone()))
        .filter(user::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    ids.retain(|id| active.contains(id) && *id != req.requester_id);
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Lays out a new round and activates its first step.
pub async fn start_round(change: &mut Change, def: &Definition) -> AppResult<RoundState> {
    let Some(approvals) = &def.approvals else {
        return Ok(RoundState::Approved);
    };
    let previous = current_round(change.db(), &change.req.id).await?;
    let round = previous.first().map_or(1, |s| s.round + 1);
    let requester = Requester::of(change.db(), &change.req).await?;
    let fields = change.req.fields.0.clone();
    let ctx = requester.expr(def, &fields, &change.req, change.now);
    let applicable: Vec<&str> = applicable_steps(def, &ctx)
        .into_iter()
        .map(|s| s.key.as_str())
        .collect();
    for (position, step) in approvals.steps.iter().enumerate() {
        let applies = applicable.contains(&step.key.as_str());
        approval_step::ActiveModel {
            id: Set(new_id()),
            request_id: Set(change.req.id.clone()),
            round: Set(round),
            position: Set(position as i32),
            key: Set(step.key.clone()),
            state: Set(if applies {
                ApprovalState::Pending
            } else {
                ApprovalState::Skipped
            }),
            policy: Set(step.policy.to_string()),
            approvers: Set(StringList::default()),
            started_at: Set(None),
            completed_at: Set(if applies { None } else { Some(change.now) }),
        }
        .insert(change.db())
        .await?;
    }
    let skipped: Vec<&str> = approvals
        .steps
        .iter()
        .map(|s| s.key.as_str())
        .filter(|k| !applicable.contains(k))
        .collect();
    change
        .record(
            EventKind::ApprovalRoundStarted,
            json!({"round": round, "steps": applicable, "skipped": skipped}),
        )
        .await?;
    activate_next(change, def, &fields).await
}

/// Activates the next pending step, or reports the round approved when none is left.
async fn activate_next(
    change: &mut Change,
    def: &Definition,
    fields: &serde_json::Map<String, serde_json::Value>,
) -> AppResult<RoundState> {
    let steps = current_round(change.db(), &change.req.id).await?;
    let Some(next) = steps
        .into_iter()
        .find(|s| s.state == ApprovalState::Pending)
    else {
        return Ok(RoundState::Approved);
    };
    let spec = def
        .approvals
        .as_ref()
        .and_then(|a| a.steps.iter().find(|s| s.key == next.key))
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "approval step {} missing from its definition",
                next.key
            ))
        })?;
    let approvers = resolve_approvers(change.db(), &spec.approvers, &change.req, fields).await?;
    let emails: Vec<String> = user::Entity::find()
        .filter(user::Column::Id.is_in(approvers.clone()))
        .all(change.db())
        .await?
        .into_iter()
        .map(|u| u.email)
        .collect();
    let key = next.key.clone();
    let mut active: approval_step::ActiveModel = next.into();
    active.state = Set(ApprovalState::Active);
    active.approvers = Set(StringList(approvers.clone()));
    active.started_at = Set(Some(change.now));
    let step = active.update(change.db()).await?;
    approvers::replace(change.db(), &step.id, &approvers).await?;
    change
        .record(
            EventKind::ApprovalStarted,
            json!({"step": key, "policy": spec.policy.to_string(), "approvers": emails,
                   "unassigned": approvers.is_empty()}),
        )
        .await?;
    Ok(RoundState::Waiting)
}

/// Cancels the open steps of the current round (the request left the approval status).
pub async fn cancel_round(change: &mut Change) -> AppResult<()> {
    let open: Vec<_> = current_round(change.db(), &change.req.id)
        .await?
        .into_iter()
        .filter(|s| s.state == ApprovalState::Pending || s.state == ApprovalState::Active)
        .collect();
    if open.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = open.iter().map(|s| s.key.clone()).collect();
    for s in open {
        let mut a: approval_step::ActiveModel = s.into();
        a.state = Set(ApprovalState::Skipped);
        a.completed_at = Set(Some(change.now));
        a.update(change.db()).await?;
    }
    change
        .record(EventKind::ApprovalCancelled, json!({"steps": keys}))
        .await?;
    Ok(())
}

/// Records one decision on the active step and moves the round on.
pub async fn decide(
    change: &mut Change,
    def: &Definition,
    approver_id: &str,
    approve: bool,
    comment: Option<String>,
) -> AppResult<RoundState> {
    if change.req.requester_id == approver_id {
        return Err(AppError::forbidden(
            "a requester never approves their own request",
        ));
    }
    let steps = current_round(change.db(), &change.req.id).await?;
    let is_listed = |s: &approval_step::Model| s.approvers.0.iter().any(|i| i == approver_id);
    let active = steps
        .iter()
        .find(|s| s.state == ApprovalState::Active && is_listed(s));
    let Some(step) = active else {
        return Err(if steps.iter().any(is_listed) {
            AppError::Conflict("this approval step was already decided".into())
        } else {
            AppError::forbidden("you are not an approver of the current step")
        });
    };
    let decisions = approval_decision::Entity::find()
        .filter(approval_decision::Column::StepId.eq(&step.id))
        .all(change.db())
        .await?;
    if decisions.iter().any(|d| d.approver_id == approver_id) {
        return Err(AppError::Conflict(
            "you already decided on this step".into(),
        ));
    }
    approval_decision::ActiveModel {
        id: Set(new_id()),
        step_id: Set(step.id.clone()),
        request_id: Set(change.req.id.clone()),
        approver_id: Set(approver_id.to_owned()),
        approve: Set(approve),
        comment: Set(comment.clone()),
        at: Set(change.now),
    }
    .insert(change.db())
    .await
    .on_duplicate(Duplicate::Race("you already decided on this step"))?;
    change
        .record(
            EventKind::Decided,
            json!({"step": step.key, "approve": approve, "comment": comment}),
        )
        .await?;
    let approvals = decisions.iter().filter(|d| d.approve).count() + usize::from(approve);
    let rejections = decisions.iter().filter(|d| !d.approve).count() + usize::from(!approve);
    let approver_count = step.approvers.0.len();
    let policy: ApprovalPolicy =
        serde_json::from_value(serde_json::Value::String(step.policy.clone()))?;
    let outcome = step_outcome(&policy, approver_count, approvals, rejections);
    if outcome == StepOutcome::Undecided {
        return Ok(RoundState::Waiting);
    }
    let mut a: approval_step::ActiveModel = step.clone().into();
    a.state = Set(if outcome == StepOutcome::Approved {
        ApprovalState::Approved
    } else {
        ApprovalState::Rejected
    });
    a.completed_at = Set(Some(change.now));
    a.update(change.db()).await?;
    change
        .record(
            EventKind::StepCompleted,
            json!({"step": step.key, "outcome": if approve { "approved" } else { "rejected" }}),
        )
        .await?;
    if outcome == StepOutcome::Rejected {
        for s in steps
            .into_iter()
            .filter(|s| s.state == ApprovalState::Pending)
        {
            let mut a: approval_step::ActiveModel = s.into();
            a.state = Set(ApprovalState::Skipped);
            a.completed_at = Set(Some(change.now));
            a.update(change.db()).await?;
        }
        return Ok(RoundState::Rejected);
    }
    let fields = change.req.fields.0.clone();
    activate_next(change, def, &fields).await
}

/// Decisions of many steps at once (DataLoader support).
pub async fn decisions_of_steps(
    db: &impl ConnectionTrait,
    step_ids: &[String],
) -> AppResult<HashMap<String, Vec<approval_decision::Model>>> {
    let rows = approval_decision::Entity::find()
        .filter(approval_decision::Column::StepId.is_in(step_ids.iter().cloned()))
        .order_by_asc(approval_decision::Column::At)
        .all(db)
        .await?;
    let mut out: HashMap<String, Vec<approval_decision::Model>> = HashMap::new();
    for d in rows {
        out.entry(d.step_id.clone()).or_default().push(d);
    }
    Ok(out)
}

/// Whether the latest round has an approved step (editing a reapproval field then restarts it).
pub fn round_has_approval(steps: &[approval_step::Model]) -> bool {
    steps.iter().any(|s| s.state == ApprovalState::Approved)
}
