//! Integrations: the webhook and chat endpoints that actions deliver to, their URLs (checked
//! against the outbound address policy when saved), and their signing secrets with rotation.
//!
//! A secret is answered once, by the call that makes it, and never again: not by lists, not in
//! audit events, not in errors.

use crate::db::enums::IntegrationKind;
use chrono::Duration;
use handoff_shared::EventKind;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use crate::db::entities::integration;
use crate::db::{new_id, statement};
use crate::error::{AppError, AppResult, Duplicate, OnDuplicate};
use crate::integrations::webhook;
use crate::services::{audit, check_key};
use crate::state::AppState;

/// Longest secret-rotation overlap accepted: a week.
pub const MAX_OVERLAP_MINUTES: i64 = 7 * 24 * 60;

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
    check_key("input.key", &key)?;
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
    let txn = state.begin_write().await?;
    let model = integration::ActiveModel {
        id: Set(new_id()),
        key: Set(key.clone()),
        kind: Set(match input.kind {
            Kind::Webhook => IntegrationKind::Webhook,
            Kind::Chat => IntegrationKind::Chat,
        }),
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
    .on_duplicate(Duplicate::Field {
        path: "input.key",
        message: "an integration with this key exists",
    })?;
    audit::system_event(
        &txn,
        Some(actor),
        EventKind::IntegrationCreated,
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
    let txn = state.begin_write().await?;
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
        EventKind::IntegrationUpdated,
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
    let txn = state.begin_write().await?;
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
        EventKind::IntegrationSecretRotated,
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
