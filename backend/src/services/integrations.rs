//! Administration of integrations (webhook and chat endpoints, their secrets and rotation),
//! the delivery lists and replays, inbound hook tokens, and the in-app notification list.
//!
//! Secrets are answered once, by the call that makes them, and never again: not by lists, not
//! in audit events, not in errors. Administrative changes are audited on the system stream; a
//! replay is audited on the request's own chain.

use std::collections::HashMap;

use chrono::Duration;
use handoff_shared::Permission;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::auth::Principal;
use crate::auth::principal::ScopedPermission;
use crate::db::entities::{
    delivery_attempt, inbound_hook, integration, notification, outbox, user,
};
use crate::db::{is_unique_violation, new_id, statement};
use crate::error::{AppError, AppResult};
use crate::integrations::webhook;
use crate::services::audit;
use crate::services::change::{Change, Lock};
use crate::services::workflows;
use crate::state::AppState;

/// Longest secret-rotation overlap accepted: a week.
pub const MAX_OVERLAP_MINUTES: i64 = 7 * 24 * 60;
/// Most deliveries one list answers.
pub const MAX_DELIVERIES: u64 = 200;
/// Prefix of inbound hook URL tokens, so a leaked one is recognisable.
pub const HOOK_TOKEN_PREFIX: &str = "hnh_";

/// An integration's kind: a system of record's webhook, or a Slack-compatible chat webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Webhook,
    Chat,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Webhook => "webhook",
            Kind::Chat => "chat",
        }
    }
}

fn check_key(key: &str) -> AppResult<()> {
    let ok = !key.is_empty()
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "input.key",
            "use 1 to 64 characters: a-z, 0-9 and -",
        ))
    }
}

async fn check_url(state: &AppState, url: &str) -> AppResult<()> {
    state
        .outbound
        .check_url(url.trim())
        .await
        .map_err(|e| AppError::invalid("input.url", e))
}

fn check_secret(secret: &str) -> AppResult<()> {
    webhook::secret_key(secret)
        .map(|_| ())
        .map_err(|e| AppError::invalid("input.secret", e))
}

/// What `createIntegration` takes.
#[derive(Debug, Clone)]
pub struct NewIntegration {
    pub key: String,
    pub kind: Kind,
    pub url: String,
    pub secret: Option<String>,
}

/// Creates an integration. A webhook gets a generated `whsec_` secret unless one is given; the
/// secret is answered this once.
pub async fn create_integration(
    state: &AppState,
    actor: &str,
    input: NewIntegration,
) -> AppResult<(integration::Model, Option<String>)> {
    let key = input.key.trim().to_owned();
    check_key(&key)?;
    check_url(state, &input.url).await?;
    let secret = match (input.secret.filter(|s| !s.is_empty()), input.kind) {
        (Some(s), _) => {
            check_secret(&s)?;
            Some(s)
        }
        (None, Kind::Webhook) => Some(webhook::generate_secret()),
        (None, Kind::Chat) => None,
    };
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let model = integration::ActiveModel {
        id: Set(new_id()),
        key: Set(key.clone()),
        kind: Set(input.kind.as_str().to_owned()),
        url: Set(input.url.trim().to_owned()),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_expires_at: Set(None),
        enabled: Set(true),
        disabled_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::invalid("input.key", "an integration with this key exists")
        } else {
            e.into()
        }
    })?;
    audit::system_event(
        &txn,
        Some(actor),
        "integration_created",
        now,
        json!({"integration": key, "kind": input.kind.as_str()}),
    )
    .await?;
    txn.commit().await?;
    Ok((model, secret))
}

pub async fn list_integrations(db: &impl ConnectionTrait) -> AppResult<Vec<integration::Model>> {
    Ok(integration::Entity::find()
        .order_by_asc(integration::Column::Key)
        .all(db)
        .await?)
}

pub async fn find_integration(
    db: &impl ConnectionTrait,
    key: &str,
) -> AppResult<Option<integration::Model>> {
    Ok(integration::Entity::find()
        .filter(integration::Column::Key.eq(key))
        .one(db)
        .await?)
}

async fn integration_for_update(
    txn: &DatabaseTransaction,
    key: &str,
) -> AppResult<integration::Model> {
    // A write first, so concurrent admin edits of one integration run one after another.
    let res = txn
        .execute_raw(statement(
            txn,
            "UPDATE integrations SET updated_at = updated_at WHERE key = $1",
            vec![key.into()],
        ))
        .await?;
    if res.rows_affected() == 0 {
        return Err(AppError::not_found(format!("integration \"{key}\"")));
    }
    find_integration(txn, key)
        .await?
        .ok_or_else(|| AppError::not_found(format!("integration \"{key}\"")))
}

/// What `updateIntegration` may change; `None` leaves a property as it is.
#[derive(Debug, Clone, Default)]
pub struct IntegrationUpdate {
    pub key: String,
    pub url: Option<String>,
    pub enabled: Option<bool>,
}

/// Changes an integration's URL or turns it on or off. Enabling clears the reason it was
/// disabled (for example a `410 Gone`).
pub async fn update_integration(
    state: &AppState,
    actor: &str,
    input: IntegrationUpdate,
) -> AppResult<integration::Model> {
    if let Some(url) = &input.url {
        check_url(state, url).await?;
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let current = integration_for_update(&txn, &input.key).await?;
    let mut active: integration::ActiveModel = current.into();
    if let Some(url) = &input.url {
        active.url = Set(url.trim().to_owned());
    }
    match input.enabled {
        Some(true) => {
            active.enabled = Set(true);
            active.disabled_reason = Set(None);
        }
        Some(false) => {
            active.enabled = Set(false);
            active.disabled_reason = Set(Some("disabled by an administrator".into()));
        }
        None => {}
    }
    active.updated_at = Set(now);
    let model = active.update(&txn).await?;
    audit::system_event(&txn, Some(actor),
        "integration_updated",
        now,
        json!({"integration": model.key, "url_changed": input.url.is_some(), "enabled": input.enabled}),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Replaces an integration's secret. The old one keeps signing beside the new one for
/// `overlap_minutes`, so receivers can switch without missing a delivery. Answers the new
/// secret, once.
pub async fn rotate_secret(
    state: &AppState,
    actor: &str,
    key: &str,
    overlap_minutes: i64,
) -> AppResult<(integration::Model, String)> {
    if !(0..=MAX_OVERLAP_MINUTES).contains(&overlap_minutes) {
        return Err(AppError::invalid(
            "input.overlapMinutes",
            format!("use 0 to {MAX_OVERLAP_MINUTES} minutes"),
        ));
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let current = integration_for_update(&txn, key).await?;
    let secret = webhook::generate_secret();
    let previous = current.secret.clone().filter(|_| overlap_minutes > 0);
    let expires = previous
        .as_ref()
        .map(|_| now + Duration::minutes(overlap_minutes));
    let mut active: integration::ActiveModel = current.into();
    active.secret = Set(Some(secret.clone()));
    active.previous_secret = Set(previous);
    active.previous_secret_expires_at = Set(expires);
    active.updated_at = Set(now);
    let model = active.update(&txn).await?;
    audit::system_event(
        &txn,
        Some(actor),
        "integration_secret_rotated",
        now,
        json!({"integration": model.key, "overlap_minutes": overlap_minutes}),
    )
    .await?;
    txn.commit().await?;
    Ok((model, secret))
}

/// The secrets that sign now: the current one, and the previous one during its overlap.
pub fn signing_secrets(i: &integration::Model, now: chrono::DateTime<chrono::Utc>) -> Vec<String> {
    let mut out: Vec<String> = i.secret.iter().cloned().collect();
    if let (Some(prev), Some(until)) = (&i.previous_secret, i.previous_secret_expires_at)
        && until > now
    {
        out.push(prev.clone());
    }
    out
}

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
    if row.state == "sending" {
        return Err(AppError::Conflict(
            "this delivery is being sent right now".into(),
        ));
    }
    let now = change.now;
    let (target, action, event_id) = (row.target.clone(), row.action.clone(), row.event_id.clone());
    let previous_state = row.state.clone();
    let mut active: outbox::ActiveModel = row.into();
    active.state = Set("pending".into());
    active.attempts = Set(0);
    active.next_attempt_at = Set(now);
    active.lease_owner = Set(None);
    active.lease_until = Set(None);
    active.delivered_at = Set(None);
    active.warning = Set(None);
    let model = active.update(change.db()).await?;
    change
        .record(
            "delivery_retried",
            json!({"delivery": model.id, "integration": target, "action": action,
                   "webhook_id": crate::services::actions::webhook_id(&event_id, &action),
                   "previous_state": previous_state}),
        )
        .await?;
    change.commit(state, "delivery_retried").await?;
    Ok(model)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new inbound hook: the URL token and, for a signed hook, the secret, answered once.
#[derive(Debug)]
pub struct NewHook {
    pub hook: inbound_hook::Model,
    pub token: String,
    pub secret: Option<String>,
}

/// Creates an inbound hook for a workflow, with its own `service` user (no password) that
/// submits the hook's requests. Only the token's hash is stored.
pub async fn create_inbound_hook(
    state: &AppState,
    actor: &str,
    workflow: &str,
    name: &str,
    signed: bool,
) -> AppResult<NewHook> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("input.name", "use 1 to 100 characters"));
    }
    if workflows::find(&state.db, workflow, None).await?.is_none() {
        return Err(AppError::invalid(
            "input.workflow",
            format!("no workflow \"{workflow}\""),
        ));
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{HOOK_TOKEN_PREFIX}{}", hex::encode(bytes));
    let secret = signed.then(webhook::generate_secret);
    let now = state.clock.now();
    let hook_id = new_id();
    let txn = state.db.begin().await?;
    let service = user::ActiveModel {
        id: Set(new_id()),
        email: Set(format!("hook-{hook_id}@hooks.handoff.invalid")),
        name: Set(format!("Inbound hook: {name}")),
        password_hash: Set(None),
        manager_id: Set(None),
        active: Set(true),
        kind: Set("service".into()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let hook = inbound_hook::ActiveModel {
        id: Set(hook_id),
        workflow_key: Set(workflow.to_owned()),
        name: Set(name.to_owned()),
        token_hash: Set(token_hash(&token)),
        secret: Set(secret.clone()),
        service_user_id: Set(service.id.clone()),
        created_at: Set(now),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::system_event(
        &txn,
        Some(actor),
        "inbound_hook_created",
        now,
        json!({"hook": hook.id, "workflow": workflow, "name": name, "signed": signed,
               "service_user": service.id}),
    )
    .await?;
    txn.commit().await?;
    Ok(NewHook {
        hook,
        token,
        secret,
    })
}

pub async fn list_inbound_hooks(db: &impl ConnectionTrait) -> AppResult<Vec<inbound_hook::Model>> {
    Ok(inbound_hook::Entity::find()
        .order_by_desc(inbound_hook::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Revokes a hook: its token stops working at once and its service user is deactivated.
pub async fn revoke_inbound_hook(
    state: &AppState,
    actor: &str,
    id: &str,
) -> AppResult<inbound_hook::Model> {
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let res = txn
        .execute_raw(statement(
            &txn,
            "UPDATE inbound_hooks SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2",
            vec![now.into(), id.into()],
        ))
        .await?;
    if res.rows_affected() == 0 {
        return Err(AppError::not_found("inbound hook"));
    }
    let hook = inbound_hook::Entity::find_by_id(id.to_owned())
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("inbound hook"))?;
    user::Entity::update_many()
        .col_expr(user::Column::Active, sea_orm::sea_query::Expr::value(false))
        .filter(user::Column::Id.eq(hook.service_user_id.clone()))
        .exec(&txn)
        .await?;
    audit::system_event(
        &txn,
        Some(actor),
        "inbound_hook_revoked",
        now,
        json!({"hook": hook.id}),
    )
    .await?;
    txn.commit().await?;
    Ok(hook)
}

/// The live hook a URL token names, if any (revoked hooks never match).
pub async fn hook_by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> AppResult<Option<inbound_hook::Model>> {
    Ok(inbound_hook::Entity::find()
        .filter(inbound_hook::Column::TokenHash.eq(token_hash(token)))
        .filter(inbound_hook::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

/// The principal a hook acts as: its service user, allowed to submit its workflow only.
pub async fn hook_principal(
    db: &impl ConnectionTrait,
    hook: &inbound_hook::Model,
) -> AppResult<Principal> {
    let service = user::Entity::find_by_id(hook.service_user_id.clone())
        .one(db)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| AppError::Unauthenticated("this hook is revoked".into()))?;
    Ok(Principal {
        user_id: service.id,
        email: service.email,
        roles: vec![],
        teams: vec![],
        grants: vec![ScopedPermission {
            permission: Permission::RequestSubmit,
            workflows: Some(vec![hook.workflow_key.clone()]),
        }],
    })
}

/// The caller's notifications, newest first (at most 100).
pub async fn list_notifications(
    db: &impl ConnectionTrait,
    user_id: &str,
    unread_only: bool,
) -> AppResult<Vec<notification::Model>> {
    let mut q = notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .limit(100);
    if unread_only {
        q = q.filter(notification::Column::ReadAt.is_null());
    }
    Ok(q.all(db).await?)
}

/// Marks the caller's notifications read (ids of other people's notifications are ignored) and
/// answers them.
pub async fn mark_notifications_read(
    state: &AppState,
    user_id: &str,
    ids: Vec<String>,
) -> AppResult<Vec<notification::Model>> {
    if ids.len() > 1000 {
        return Err(AppError::invalid("input.ids", "at most 1000 at once"));
    }
    notification::Entity::update_many()
        .col_expr(
            notification::Column::ReadAt,
            sea_orm::sea_query::Expr::value(state.clock.now()),
        )
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::Id.is_in(ids.clone()))
        .filter(notification::Column::ReadAt.is_null())
        .exec(&state.db)
        .await?;
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::Id.is_in(ids))
        .order_by_desc(notification::Column::CreatedAt)
        .all(&state.db)
        .await?)
}
