//! The integrations' queries (all `integration.manage`): integrations, deliveries and inbound
//! hooks.

use async_graphql::{Context, ID, InputObject, Object, Result};
use handoff_shared::Permission;

use crate::graphql::error::GqlResult;
use crate::graphql::guards::Perm;
use crate::graphql::integrations::types::{Delivery, InboundHook, Integration};
use crate::services::integrations::{self as svc, DeliveryFilter as SvcFilter};
use crate::state::AppState;

#[derive(InputObject, Default)]
pub struct DeliveryFilter {
    /// `pending`, `sending`, `delivered` or `dead`.
    pub state: Option<String>,
    /// An integration key.
    pub integration: Option<String>,
    pub request_id: Option<ID>,
}

/// Integrations, deliveries and inbound hooks.
pub struct IntegrationQuery;

#[Object(name = "IntegrationQuery")]
impl IntegrationQuery {
    #[graphql(
        guard = "Perm(Permission::IntegrationManage)",
        complexity = "crate::graphql::limits::many(child_complexity)"
    )]
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
    #[graphql(
        guard = "Perm(Permission::IntegrationManage)",
        complexity = "crate::graphql::limits::page(first, 50, 200, child_complexity)"
    )]
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

    #[graphql(
        guard = "Perm(Permission::IntegrationManage)",
        complexity = "crate::graphql::limits::many(child_complexity)"
    )]
    async fn inbound_hooks(&self, ctx: &Context<'_>) -> Result<Vec<InboundHook>> {
        let state = ctx.data::<AppState>()?;
        Ok(svc::list_inbound_hooks(&state.db)
            .await
            .gql()?
            .into_iter()
            .map(InboundHook)
            .collect())
    }
}
