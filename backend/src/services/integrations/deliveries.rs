//! Deliveries as administrators see them: the outbox rows and their attempt logs, listed and
//! batched for DataLoaders, and `retry_delivery`, which replays one.
//!
//! Sending is not here: `jobs::outbox` claims, sends and records. A replay only makes a row due
//! again; it is audited on the request's own chain, like the attempts it will cause.

use crate::db::enums::DeliveryState;
use handoff_shared::EventKind;
use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;

use crate::db::entities::{delivery_attempt, outbox};
use crate::error::{AppError, AppResult};
use crate::services::change::{Change, Lock};
use crate::state::AppState;

/// Most deliveries one list answers.
pub const MAX_DELIVERIES: u64 = 200;

/// Filters of the admin delivery list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub state: Option<String>,
    pub integration: Option<String>,
    pub request_id: Option<String>,
}

/// Deliveries, newest first.
pub async fn list_deliveries(
    db: &impl ConnectionTrait,
    filter: &DeliveryFilter,
    first: Option<i32>,
) -> AppResult<Vec<outbox::Model>> {
    let limit = first.map_or(50, |n| n.max(1) as u64).min(MAX_DELIVERIES);
    let mut q = outbox::Entity::find()
        .order_by_desc(outbox::Column::CreatedAt)
        .order_by_desc(outbox::Column::Id)
        .limit(limit);
    if let Some(s) = &filter.state {
        q = q.filter(outbox::Column::State.eq(s.to_lowercase()));
    }
    if let Some(i) = &filter.integration {
        q = q.filter(outbox::Column::Target.eq(i));
    }
    if let Some(r) = &filter.request_id {
        q = q.filter(outbox::Column::RequestId.eq(r));
    }
    Ok(q.all(db).await?)
}

/// Deliveries of each request, oldest first (the `Request.deliveries` DataLoader).
pub async fn deliveries_of_requests(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> AppResult<HashMap<String, Vec<outbox::Model>>> {
    let rows = outbox::Entity::find()
        .filter(outbox::Column::RequestId.is_in(ids.iter().cloned()))
        .order_by_asc(outbox::Column::CreatedAt)
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await?;
    let mut out: HashMap<String, Vec<outbox::Model>> =
        ids.iter().map(|k| (k.clone(), vec![])).collect();
    for r in rows {
        out.entry(r.request_id.clone()).or_default().push(r);
    }
    Ok(out)
}

/// The attempt log of each delivery, in order.
pub async fn attempts_of_deliveries(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> AppResult<HashMap<String, Vec<delivery_attempt::Model>>> {
    let rows = delivery_attempt::Entity::find()
        .filter(delivery_attempt::Column::DeliveryId.is_in(ids.iter().cloned()))
        .order_by_asc(delivery_attempt::Column::Attempt)
        .all(db)
        .await?;
    let mut out: HashMap<String, Vec<delivery_attempt::Model>> =
        ids.iter().map(|k| (k.clone(), vec![])).collect();
    for r in rows {
        out.entry(r.delivery_id.clone()).or_default().push(r);
    }
    Ok(out)
}

/// Replays a delivery with the same `webhook-id` (receivers deduplicate on it): it becomes due
/// now and its retry schedule starts again. Audited as `delivery_retried` on the request.
pub async fn retry_delivery(state: &AppState, actor: &str, id: &str) -> AppResult<outbox::Model> {
    let row = outbox::Entity::find_by_id(id.to_owned())
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("delivery"))?;
    // A replay is recorded on the request's chain but is not an edit: a quiet lock.
    let mut change = Change::lock(state, &row.request_id, Lock::Quiet, Some(actor)).await?;
    let row = outbox::Entity::find_by_id(id.to_owned())
        .one(change.db())
        .await?
        .ok_or_else(|| AppError::not_found("delivery"))?;
    if row.state == DeliveryState::Sending {
        return Err(AppError::Conflict(
            "this delivery is being sent right now".into(),
        ));
    }
    let now = change.now;
    let (target, action, event_id) = (row.target.clone(), row.action.clone(), row.event_id.clone());
    let previous_state = row.state.as_str();
    let mut active: outbox::ActiveModel = row.into();
    active.state = Set(DeliveryState::Pending);
    active.attempts = Set(0);
    active.next_attempt_at = Set(now);
    active.lease_owner = Set(None);
    active.lease_until = Set(None);
    active.delivered_at = Set(None);
    active.warning = Set(None);
    let model = active.update(change.db()).await?;
    change
        .record(
            EventKind::DeliveryRetried,
            json!({"delivery": model.id, "integration": target, "action": action,
                   "webhook_id": crate::services::actions::webhook_id(&event_id, &action),
                   "previous_state": previous_state}),
        )
        .await?;
    change.commit(state, EventKind::DeliveryRetried).await?;
    Ok(model)
}
