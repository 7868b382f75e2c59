//! The integrations part of the API: integrations and their secrets, deliveries and replays,
//! inbound hooks (all `integration.manage`), and the caller's notifications. Its query and
//! mutation roots are merged into the schema's (`graphql::build_schema`). Resolvers stay thin;
//! the DataLoaders for `Request.deliveries` and `Delivery.attemptsLog` live here too.
//!
//! Secrets appear in exactly three answers, once each: `createIntegration`,
//! `rotateIntegrationSecret` and `createInboundHook`.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Enum, ID, InputObject, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use handoff_shared::Permission;
use sea_orm::DatabaseConnection;

use crate::db::entities::{delivery_attempt, inbound_hook, integration, notification, outbox};
use crate::error::{AppError, AppResult};
use crate::graphql::error::{GqlResult, loader_error, unknown_stored};
use crate::graphql::guards::{Authenticated, Perm, principal};
use crate::graphql::loaders::Loaders;
use crate::graphql::types::Request;
use crate::services::integrations::{self as svc, DeliveryFilter as SvcFilter, Kind};
use crate::services::{actions, requests};
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
        Ok(IntegrationKind::from_stored(&self.0.kind)?)
    }
    /// The endpoint. A chat webhook's path is its credential, so it is shown as `…`; query
    /// strings and user info are never shown.
    async fn url(&self) -> Result<String> {
        let kind = IntegrationKind::from_stored(&self.0.kind)?;
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
        &self.0.kind
    }
    /// The integration key.
    async fn integration(&self) -> &str {
        &self.0.target
    }
    /// `pending`, `sending`, `delivered` or `dead`.
    async fn state(&self) -> &str {
        &self.0.state
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
        (self.0.state == "pending").then_some(self.0.next_attempt_at)
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
        Ok(Json(
            serde_json::from_str(&self.0.payload).map_err(AppError::from)?,
        ))
    }
    /// Every attempt, first first.
    async fn attempts_log(&self, ctx: &Context<'_>) -> Result<Vec<DeliveryAttempt>> {
        Ok(ctx
            .data::<Loaders>()?
            .integrations
            .attempts
            .load_one(self.0.id.clone())
            .await
            .map_err(loader_error)?
            .unwrap_or_default()
            .into_iter()
            .map(DeliveryAttempt::from)
            .collect())
    }
}

/// The deliveries of a request (what `Request.deliveries` answers).
pub async fn deliveries_of(ctx: &Context<'_>, request_id: &str) -> Result<Vec<Delivery>> {
    Ok(ctx
        .data::<Loaders>()?
        .integrations
        .deliveries
        .load_one(request_id.to_owned())
        .await
        .map_err(loader_error)?
        .unwrap_or_default()
        .into_iter()
        .map(Delivery)
        .collect())
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

/// An in-app notification for the caller.
pub struct Notification(pub notification::Model);

#[Object]
impl Notification {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn message(&self) -> &str {
        &self.0.message
    }
    async fn request_id(&self) -> ID {
        ID(self.0.request_id.clone())
    }
    /// The request, if the caller may (still) read it.
    async fn request(&self, ctx: &Context<'_>) -> Result<Option<Request>> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        match requests::get_readable(state, p, Some(&self.0.request_id), None).await {
            Ok(r) => Ok(Some(Request(r))),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at
    }
}

#[derive(InputObject)]
pub struct CreateIntegrationInput {
    /// What definitions name (`erp`): a-z, 0-9 and -.
    pub key: String,
    pub kind: IntegrationKind,
    /// http or https; internal addresses are refused unless `HANDOFF_OUTBOUND_ALLOW` allows them.
    pub url: String,
    /// A `whsec_` secret; omitted, a webhook gets a generated one.
    pub secret: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateIntegrationInput {
    pub key: String,
    pub url: Option<String>,
    pub enabled: Option<bool>,
}

#[derive(InputObject)]
pub struct RotateIntegrationSecretInput {
    pub key: String,
    /// How long the old secret keeps signing beside the new one (0 to 10080).
    #[graphql(default = 60)]
    pub overlap_minutes: i32,
}

#[derive(InputObject, Default)]
pub struct DeliveryFilter {
    /// `pending`, `sending`, `delivered` or `dead`.
    pub state: Option<String>,
    /// An integration key.
    pub integration: Option<String>,
    pub request_id: Option<ID>,
}

#[derive(InputObject)]
pub struct CreateInboundHookInput {
    /// The workflow key its requests are submitted to.
    pub workflow: String,
    pub name: String,
    /// Require Standard Webhooks signatures (a `whsec_` secret is made).
    #[graphql(default)]
    pub signed: bool,
}

#[derive(InputObject)]
pub struct MarkNotificationsReadInput {
    pub ids: Vec<ID>,
}

pub struct IntegrationQuery;

#[Object(name = "IntegrationQuery")]
impl IntegrationQuery {
    #[graphql(guard = "Perm(Permission::IntegrationManage)")]
    async fn integrations(&self, ctx: &Context<'_>) -> Result<Vec<Integration>> {
        let state = ctx.data::<AppState>()?;
        Ok(svc::list_integrations(&state.db)
            .await
            .gql()?
            .into_iter()
            .map(Integration)
            .collect())
    }

    /// Deliveries, newest first (at most 200).
    #[graphql(guard = "Perm(Permission::IntegrationManage)")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        filter: Option<DeliveryFilter>,
        first: Option<i32>,
    ) -> Result<Vec<Delivery>> {
        let state = ctx.data::<AppState>()?;
        let f = filter.unwrap_or_default();
        let filter = SvcFilter {
            state: f.state,
            integration: f.integration,
            request_id: f.request_id.map(|i| i.0),
        };
        Ok(svc::list_deliveries(&state.db, &filter, first)
            .await
            .gql()?
            .into_iter()
            .map(Delivery)
            .collect())
    }

    #[graphql(guard = "Perm(Permission::IntegrationManage)")]
    async fn inbound_hooks(&self, ctx: &Context<'_>) -> Result<Vec<InboundHook>> {
        let state = ctx.data::<AppState>()?;
        Ok(svc::list_inbound_hooks(&state.db)
            .await
            .gql()?
            .into_iter()
            .map(InboundHook)
            .collect())
    }

    /// The caller's notifications, newest first (at most 100).
    #[graphql(guard = "Authenticated")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] unread_only: bool,
    ) -> Result<Vec<Notification>> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        Ok(svc::list_notifications(&state.db, &p.user_id, unread_only)
            .await
            .gql()?
            .into_iter()
            .map(Notification)
            .collect())
    }
}

pub struct IntegrationMutation;

#[Object]
impl IntegrationMutation {
    /// Creates an integration. A webhook's secret is answered this once.
    #[graphql(guard = "Perm(Permission::IntegrationManage)")]
    async fn create_integration(
        &self,
        ctx: &Context<'_>,
        input: CreateIntegrationInput,
    ) -> Result<NewIntegration> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        let new = svc::NewIntegration {
            key: input.key,
            kind: input.kind.into(),
            url: input.url,
            secret: input.secret,
        };
        let (model, secret) = svc::create_integration(state, &p.user_id, new)
            .await
            .gql()?;
        Ok(NewIntegration {
            integration: Integration(model),
            secret,
        })
    }

    /// Changes the URL or enables / disables an integration.
    #[graphql(guard = "Perm(Permission::IntegrationManage)")]
    async fn update_integration(
        &self,
        ctx: &Context<'_>,
        input: UpdateIntegrationInput,
    ) -> Result<Integration> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        let update = svc::IntegrationUpdate {
            key: input.key,
            url: input.url,
            enabled: input.enabled,
        };
        Ok(Integration(
            svc::update_integration(state, &p.user_id, update)
                .await
                .gql()?,
        ))
    }

    /// A new secret, answered once; the old one keeps signing beside it for the overlap.
    #[graphql(guard = "Perm(Permission::IntegrationManage)")]
    async fn rotate_integration_secret(
        &self,
        ctx: &Context<'_>,
        input: RotateIntegrationSecretInput,
    ) -> Result<RotatedSecret> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        let (model, secret) = svc::rotate_secret(
            state,
            &p.user_id,
            &input.key,
            i64::from(input.overlap_minutes),
        )
        .await
        .gql()?;
        Ok(RotatedSecret {
            integration: Integration(model),
            secret,
        })
    }

    /// Replays a delivery now, with the same `webhook-id`; audited on the request.
    #[graphql(guard = "Perm(Permission::IntegrationManage)")]
    async fn retry_delivery(&self, ctx: &Context<'_>, id: ID) -> Result<Delivery> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        Ok(Delivery(
            svc::retry_delivery(state, &p.user_id, &id).await.gql()?,
        ))
    }

    /// Creates an inbound hook; its token (and secret, when signed) are answered this once.
    #[graphql(guard = "Perm(Permission::IntegrationManage)")]
    async fn create_inbound_hook(
        &self,
        ctx: &Context<'_>,
        input: CreateInboundHookInput,
    ) -> Result<NewInboundHook> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        let new = svc::create_inbound_hook(
            state,
            &p.user_id,
            &input.workflow,
            &input.name,
            input.signed,
        )
        .await
        .gql()?;
        Ok(NewInboundHook {
            path: format!("/hooks/{}/{}", new.hook.workflow_key, new.token),
            hook: InboundHook(new.hook),
            token: new.token,
            secret: new.secret,
        })
    }

    #[graphql(guard = "Perm(Permission::IntegrationManage)")]
    async fn revoke_inbound_hook(&self, ctx: &Context<'_>, id: ID) -> Result<InboundHook> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        Ok(InboundHook(
            svc::revoke_inbound_hook(state, &p.user_id, &id)
                .await
                .gql()?,
        ))
    }

    /// Marks the caller's notifications read and answers them.
    #[graphql(guard = "Authenticated")]
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        input: MarkNotificationsReadInput,
    ) -> Result<Vec<Notification>> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        let ids: Vec<String> = input.ids.into_iter().map(|i| i.0).collect();
        Ok(svc::mark_notifications_read(state, &p.user_id, ids)
            .await
            .gql()?
            .into_iter()
            .map(Notification)
            .collect())
    }
}

type LoadResult<K, V> = std::result::Result<HashMap<K, V>, Arc<AppError>>;

/// The DataLoaders of this module (a part of `loaders::Loaders`).
pub struct IntegrationLoaders {
    pub deliveries: DataLoader<DeliveryLoader>,
    pub attempts: DataLoader<AttemptLoader>,
}

impl IntegrationLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            deliveries: DataLoader::new(DeliveryLoader(db.clone()), tokio::spawn),
            attempts: DataLoader::new(AttemptLoader(db.clone()), tokio::spawn),
        }
    }
}

/// Deliveries by request id.
pub struct DeliveryLoader(DatabaseConnection);
impl Loader<String> for DeliveryLoader {
    type Value = Vec<outbox::Model>;
    type Error = Arc<AppError>;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Vec<outbox::Model>> {
        svc::deliveries_of_requests(&self.0, keys)
            .await
            .map_err(Arc::new)
    }
}

/// Attempt logs by delivery id.
pub struct AttemptLoader(DatabaseConnection);
impl Loader<String> for AttemptLoader {
    type Value = Vec<delivery_attempt::Model>;
    type Error = Arc<AppError>;
    async fn load(&self, keys: &[String]) -> LoadResult<String, Vec<delivery_attempt::Model>> {
        svc::attempts_of_deliveries(&self.0, keys)
            .await
            .map_err(Arc::new)
    }
}
