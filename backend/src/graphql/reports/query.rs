//! The reports' queries: the dashboard and the audit trail across requests.

use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use handoff_shared::Permission;

use crate::graphql::error::GqlResult;
use crate::graphql::guards::{Perm, principal};
use crate::graphql::reports::types::{Dashboard, EventConnection, EventEdge};
use crate::graphql::requests::types::{Event, PageInfo};
use crate::services::{queries, reports};
use crate::state::AppState;

#[derive(InputObject, Default, Debug)]
pub struct DashboardFilter {
    pub workflow: Option<String>,
    pub team: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(InputObject, Default, Debug)]
pub struct AuditFilter {
    pub request_id: Option<ID>,
    pub kind: Option<String>,
    /// An email or `me`.
    pub actor: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The dashboard and the audit trail.
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// Volume, backlog and aging, cycle time, time in status and rework.
    #[graphql(
        guard = "Perm(Permission::ReportRead)",
        complexity = "crate::graphql::limits::DASHBOARD_COST + child_complexity"
    )]
    async fn dashboard(
        &self,
        ctx: &Context<'_>,
        filter: Option<DashboardFilter>,
    ) -> Result<Dashboard> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        let f = filter.unwrap_or_default();
        let filter = reports::DashboardFilter {
            workflow: f.workflow,
            team: f.team,
            from: f.from,
            to: f.to,
        };
        let dashboard = reports::dashboard(&state.db, p, &filter, state.clock.now())
            .await
            .gql()?;
        Ok(Dashboard::try_from(dashboard)?)
    }

    /// The audit trail across requests, newest first.
    #[graphql(
        guard = "Perm(Permission::AuditRead)",
        complexity = "crate::graphql::limits::page(first, 25, 100, child_complexity)"
    )]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<EventConnection> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        let f = filter.unwrap_or_default();
        let filter = queries::AuditFilter {
            request_id: f.request_id.map(|i| i.0),
            kind: f.kind,
            actor: f.actor,
            from: f.from,
            to: f.to,
        };
        let page = queries::audit_events(&state.db, p, &filter, first, after.as_deref())
            .await
            .gql()?;
        let end_cursor = page.items.last().map(|(c, _)| c.clone());
        Ok(EventConnection {
            edges: page
                .items
                .into_iter()
                .map(|(cursor, e)| EventEdge {
                    cursor,
                    node: Event(e),
                })
                .collect(),
            page_info: PageInfo {
                has_next_page: page.has_next,
                end_cursor,
            },
        })
    }
}
