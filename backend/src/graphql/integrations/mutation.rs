//! The integrations' mutations (all `integration.manage`): create, change and rotate
//! integrations, replay deliveries, create and revoke inbound hooks. A new secret or token is
//! answered by the call that makes it, once.

use async_graphql::{Context, ID, InputObject, Object, Result};
use handoff_shared::Permission;

use crate::graphql::error::GqlResult;
use crate::graphql::guards::{Perm, principal};
use crate::graphql::integrations::types::{
    Delivery, InboundHook, Integration, IntegrationKind, NewInboundHook, NewIntegration,
    RotatedSecret,
};
use crate::services::integrations as svc;
use crate::state::AppState;

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

#[derive(InputObject)]
pub struct CreateInboundHookInput {
    /// The workflow key its requests are submitted to.
    pub workflow: String,
    pub name: String,
    /// Require Standard Webhooks signatures (a `whsec_` secret is made).
    #[graphql(default)]
    pub signed: bool,
}

/// Integrations, deliveries and inbound hooks.
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
}
