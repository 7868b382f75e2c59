//! The steps several use cases share: entering a status (with the approval round it starts or
//! cancels and the actions it fires) and finishing an approval round. They work on an open
//! [`Change`] and leave committing to their caller.

use handoff_shared::EventKind;
use handoff_shared::definition::{Definition, StatusCategory};
use serde_json::{Value, json};

use crate::engine::approvals::{RoundState, round_end};
use crate::engine::events;
use crate::error::{AppError, AppResult};
use crate::services::change::Change;
use crate::services::{actions, approvals};

/// How a status move is recorded: the data of its `transitioned` event (to which `from`, `to`
/// and `rework` are added) and whether it counts as rework.
pub(super) struct Entry {
    pub data: Value,
    pub rework: bool,
}

/// Moves the request into `to`, recording the move; starts or cancels approval rounds as the
/// approval status is entered or left, and fires the actions listening to the move.
pub(super) async fn move_to(
    change: &mut Change,
    def: &Definition,
    to: &str,
    entry: Entry,
) -> AppResult<()> {
    let target = def.status(to).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("status {to} missing from its definition"))
    })?;
    let from = change.req.status.clone();
    let from_category = change.req.category.into();
    let approval_status = def.approvals.as_ref().map(|a| a.status.as_str());
    if approval_status == Some(from.as_str()) && to != from {
        approvals::cancel_round(change).await?;
    }
    let now = change.now;
    let req = &mut change.req;
    req.status = target.key.clone();
    req.category = target.category.into();
    req.status_since = now;
    req.updated_at = now;
    if entry.rework {
        req.rework_count += 1;
    }
    req.closed_at = (target.category == StatusCategory::Done).then_some(now);
    let mut data = entry.data;
    if let Value::Object(m) = &mut data {
        m.insert("from".into(), json!(from));
        m.insert("to".into(), json!(to));
        m.insert("rework".into(), json!(entry.rework));
    }
    change.record(EventKind::Transitioned, data).await?;
    change.save().await?;
    let happened = events::moved(&from, from_category, target);
    actions::fire(change, def, &happened).await?;
    if approval_status == Some(to) {
        return start_approval(change, def).await;
    }
    Ok(())
}

/// Lays out a new approval round and moves on at once when it ends straight away (every step
/// skipped, or no approver could be found and the policy allows it).
pub(super) async fn start_approval(change: &mut Change, def: &Definition) -> AppResult<()> {
    let state = approvals::start_round(change, def).await?;
    finish_round(change, def, state).await
}

/// Moves the request on when its approval round ended: records `approved` / `rejected`, fires
/// the actions listening to it, and enters the status the definition names.
pub(super) async fn finish_round(
    change: &mut Change,
    def: &Definition,
    state: RoundState,
) -> AppResult<()> {
    let Some(spec) = &def.approvals else {
        return Ok(());
    };
    let Some(end) = round_end(spec, state) else {
        return Ok(());
    };
    change
        .record(end.kind, json!({"status": change.req.status}))
        .await?;
    actions::fire(change, def, std::slice::from_ref(&end.happened)).await?;
    let entry = Entry {
        data: json!({"transition": end.kind.as_str()}),
        rework: false,
    };
    Box::pin(move_to(change, def, end.to, entry)).await
}
