//! The integrations' output types: `Integration` (never with its secret), `Delivery` and its
//! attempts, `InboundHook`, and the answers that show a new secret or token once. `Delivery`
//! is also what `Request.deliveries` answers, so this module uses no other area's types.

use crate::db::enums::DeliveryState;
use async_graphql::{Context, Enum, ID, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::db::entities::{delivery_attempt, inbound_hook, integration, outbox};
use crate::error::{AppError, AppResult};
use crate::graphql::error::unknown_stored;
use crate::graphql::integrations::loaders::AttemptLoader;
use crate::graphql::loaders::load_list;
use crate::services::actions;
use crate::services::integrations::Kind;
use crate::state::AppState;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum IntegrationKind {
    /// A system of record's endpoint; deliveries are signed (Standard Webhooks).
    Webhook,
    /// A Slack-compatible incoming webhook; deliveries are `{"text": ...}`.
    Chat,
}

impl IntegrationKind {
    /// The kind stored as `s`; one this build does not know is an `INTERNAL` error.
    fn from_stored(s: &str) -> AppResult<Self> {
        [Kind::Webhook, Kind::Chat]
            .into_iter()
            .find(|k| k.as_str() == s)
            .map(Self::from)
            .ok_or_else(|| unknown_stored("integration kind", s))
    }
}

impl From<Kind> for IntegrationKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Webhook => Self::Webhook,
            Kind::Chat => Self::Chat,
        }
    }
}

impl From<IntegrationKind> for Kind {
    fn from(k: IntegrationKind) -> Self {
        match k {
            IntegrationKind::Webhook => Self::Webhook,
            IntegrationKind::Chat => Self::Chat,
        }
    }
}

/// An endpoint that definitions name by key. Its secret is never shown here.
pub struct Integration(pub integration::Model);

#[Object]
impl Integration {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn key(&self) -> &str {
        &self.0.key
    }
    async fn kind(&self) -> Result<IntegrationKind> {
        Ok(IntegrationKind::from_stored(self.0.kind.as_str())?)
    }
    /// The endpoint. A chat webhook's path is its credential, so it is shown as `…`; query
    /// strings and user info are never shown.
    async fn url(&self) -> Result<String> {
        let kind = IntegrationKind::from_stored(self.0.kind.as_str())?;
        Ok(redact_url(&self.0.url, kind == IntegrationKind::Chat))
    }
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// Why it is disabled (`410 Gone`, an administrator).
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }
    /// Whether deliveries are signed.
    async fn signed(&self) -> bool {
        self.0.secret.is_some()
    }
    /// Until when the previous secret signs beside the new one, during a rotation.
    async fn previous_secret_expires_at(&self, ctx: &Context<'_>) -> Result<Option<DateTime<Utc>>> {
        let now = ctx.data::<AppState>()?.clock.now();
        Ok(self
            .0
            .previous_secret_expires_at
            .filter(|t| *t > now && self.0.previous_secret.is_some()))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

fn redact_url(url: &str, hide_path: bool) -> String {
    match url::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or_default();
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            let path = if hide_path { "/…" } else { u.path() };
            format!("{}://{host}{port}{path}", u.scheme())
        }
        Err(_) => "…".into(),
    }
}

/// A new integration; `secret` (webhooks) is shown this once.
#[derive(SimpleObject)]
pub struct NewIntegration {
    pub integration: Integration,
    pub secret: Option<String>,
}

/// A rotated secret, shown this once.
#[derive(SimpleObject)]
pub struct RotatedSecret {
    pub integration: Integration,
    pub secret: String,
}

/// One attempt of a delivery.
#[derive(SimpleObject)]
pub struct DeliveryAttempt {
    pub attempt: i32,
    pub at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub error: Option<String>,
    /// The start of the receiver's answer.
    pub response_excerpt: Option<String>,
}

impl From<delivery_attempt::Model> for DeliveryAttempt {
    fn from(a: delivery_attempt::Model) -> Self {
        Self {
            attempt: a.attempt,
            at: a.at,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            error: a.error,
            response_excerpt: a.response_excerpt,
        }
    }
}

/// A webhook or chat message queued by an action: its state and every attempt.
pub struct Delivery(pub outbox::Model);

#[Object]
impl Delivery {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// The definition's action (`actions[0]`).
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// `webhook` or `chat`.
    async fn kind(&self) -> &str {
        self.0.kind.as_str()
    }
    /// The integration key.
    async fn integration(&self) -> &str {
        &self.0.target
    }
    /// `pending`, `sending`, `delivered` or `dead`.
    async fn state(&self) -> &str {
        self.0.state.as_str()
    }
    /// Attempts since the delivery was queued or last replayed.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// A problem that did not fail the delivery (a capture that matched nothing).
    async fn warning(&self) -> Option<&str> {
        self.0.warning.as_deref()
    }
    /// The HTTP status of the latest attempt.
    async fn response_code(&self) -> Option<i32> {
        self.0.response_code
    }
    /// When the next attempt is due (pending deliveries only).
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.0.state == DeliveryState::Pending).then_some(self.0.next_attempt_at)
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The `webhook-id` receivers see: the same on every attempt and replay.
    async fn webhook_id(&self) -> String {
        actions::webhook_id(&self.0.event_id, &self.0.action)
    }
    /// The audit event that caused it.
    async fn event_id(&self) -> ID {
        ID(self.0.event_id.clone())
    }
    async fn request_id(&self) -> ID {
        ID(self.0.request_id.clone())
    }
    /// What is (or was) sent.
    async fn payload(&self) -> Result<Json<serde_json::Value>> {
        Ok(Json(self.0.payload.value().map_err(AppError::from)?))
    }
    /// Every attempt, first first.
    #[graphql(complexity = "crate::graphql::limits::few(child_complexity)")]
    async fn attempts_log(&self, ctx: &Context<'_>) -> Result<Vec<DeliveryAttempt>> {
        Ok(load_list::<AttemptLoader, _>(ctx, &self.0.id)
            .await?
            .into_iter()
            .map(DeliveryAttempt::from)
            .collect())
    }
}

/// An inbound trigger: `POST /hooks/{workflow}/{token}`.
pub struct InboundHook(pub inbound_hook::Model);

#[Object]
impl InboundHook {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn workflow(&self) -> &str {
        &self.0.workflow_key
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Whether calls must carry a Standard Webhooks signature.
    async fn signed(&self) -> bool {
        self.0.secret.is_some()
    }
    /// The service user that submits its requests.
    async fn service_user_id(&self) -> ID {
        ID(self.0.service_user_id.clone())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A new hook: its path (with the token) and, when signed, its secret, shown this once.
#[derive(SimpleObject)]
pub struct NewInboundHook {
    pub hook: InboundHook,
    pub token: String,
    /// `/hooks/{workflow}/{token}`.
    pub path: String,
    pub secret: Option<String>,
}
