//! Query resolvers: guard, call one service, convert.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use handoff_shared::Permission;
use handoff_shared::definition::{Priority as DefPriority, StatusCategory as DefCategory};

use crate::graphql::error::GqlResult;
use crate::graphql::guards::{Authenticated, Perm, principal};
use crate::graphql::types::*;
use crate::services::{directory, queries, reports, requests, workflows};
use crate::state::AppState;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum RequestSort {
    #[default]
    CreatedDesc,
    CreatedAsc,
    UpdatedDesc,
    UpdatedAsc,
}

/// Filters of a request list. `team`, `workflow` and `status` take keys; `assignee` and
/// `requester` take an email or `me` (`assignee: "none"` finds unassigned requests).
#[derive(InputObject, Default, Debug)]
pub struct RequestFilter {
    pub workflow: Option<String>,
    pub status: Option<String>,
    pub category: Option<StatusCategory>,
    pub team: Option<String>,
    pub assignee: Option<String>,
    pub requester: Option<String>,
    pub priority: Option<Priority>,
    /// SLA clocks arrive with the SLA work; `true` matches nothing until then.
    pub sla_breached: Option<bool>,
    pub text: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub sort: Option<RequestSort>,
}

impl RequestFilter {
    pub fn to_service(&self) -> queries::RequestFilter {
        queries::RequestFilter {
            workflow: self.workflow.clone(),
            status: self.status.clone(),
            category: self
                .category
                .map(|c| DefCategory::from(c).as_str().to_owned()),
            team: self.team.clone(),
            assignee: self.assignee.clone(),
            requester: self.requester.clone(),
            priority: self
                .priority
                .map(|p| DefPriority::from(p).as_str().to_owned()),
            sla_breached: self.sla_breached,
            text: self.text.clone(),
            created_from: self.created_from,
            created_to: self.created_to,
            sort: match self.sort.unwrap_or_default() {
                RequestSort::CreatedDesc => queries::Sort::CreatedDesc,
                RequestSort::CreatedAsc => queries::Sort::CreatedAsc,
                RequestSort::UpdatedDesc => queries::Sort::UpdatedDesc,
                RequestSort::UpdatedAsc => queries::Sort::UpdatedAsc,
            },
        }
    }
}

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

pub struct QueryRoot;

// Merged into the schema's root (`graphql::Query` / `graphql::Mutation`), which owns the name.
#[Object(name = "CoreQuery")]
impl QueryRoot {
    /// The signed-in user.
    #[graphql(guard = "Authenticated")]
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        Ok(
            crate::db::entities::user::Entity::find_by_id_model(&state.db, &p.user_id)
                .await
                .gql()?
                .map(User),
        )
    }

    /// The latest published version of each workflow the caller may see.
    #[graphql(guard = "Authenticated")]
    async fn workflows(&self, ctx: &Context<'_>) -> Result<Vec<Workflow>> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        let all = workflows::latest_versions(&state.db).await.gql()?;
        Ok(all
            .into_iter()
            .filter(|w| workflows::may_see(p, &w.key))
            .map(Workflow)
            .collect())
    }

    /// One version of a workflow (the latest when `version` is omitted).
    #[graphql(guard = "Authenticated")]
    async fn workflow(
        &self,
        ctx: &Context<'_>,
        key: String,
        version: Option<i32>,
    ) -> Result<Option<Workflow>> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        if !workflows::may_see(p, &key) {
            return Ok(None);
        }
        Ok(workflows::find(&state.db, &key, version)
            .await
            .gql()?
            .map(Workflow))
    }

    /// Every published version of a workflow, newest first (for admins).
    #[graphql(guard = "Perm(Permission::WorkflowManage)")]
    async fn workflow_versions(&self, ctx: &Context<'_>, key: String) -> Result<Vec<Workflow>> {
        let state = ctx.data::<AppState>()?;
        Ok(workflows::versions(&state.db, &key)
            .await
            .gql()?
            .into_iter()
            .map(Workflow)
            .collect())
    }

    /// Requests the caller may read, newest first unless sorted otherwise.
    #[graphql(guard = "Authenticated")]
    async fn requests(
        &self,
        ctx: &Context<'_>,
        filter: Option<RequestFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<RequestConnection> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        let filter = filter.unwrap_or_default().to_service();
        let page = queries::list_requests(&state.db, p, &filter, first, after.as_deref())
            .await
            .gql()?;
        let end_cursor = page.items.last().map(|(c, _)| c.clone());
        Ok(RequestConnection {
            edges: page
                .items
                .into_iter()
                .map(|(cursor, r)| RequestEdge {
                    cursor,
                    node: Request(r),
                })
                .collect(),
            page_info: PageInfo {
                has_next_page: page.has_next,
                end_cursor,
            },
            total_count: page.total,
        })
    }

    /// One request by id or number (`PUR-42`), if the caller may read it.
    #[graphql(guard = "Authenticated")]
    async fn request(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        number: Option<String>,
    ) -> Result<Option<Request>> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        match requests::get_readable(
            state,
            p,
            id.as_ref().map(|i| i.0.as_str()),
            number.as_deref(),
        )
        .await
        {
            Ok(r) => Ok(Some(Request(r))),
            Err(crate::error::AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Approval steps waiting for the caller's decision.
    #[graphql(guard = "Authenticated")]
    async fn my_approvals(&self, ctx: &Context<'_>) -> Result<Vec<ApprovalTask>> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        Ok(queries::my_approvals(&state.db, p)
            .await
            .gql()?
            .into_iter()
            .map(|(r, s)| ApprovalTask {
                request: Request(r),
                step: s.key,
            })
            .collect())
    }

    /// Volume, backlog and aging, cycle time, time in status and rework.
    #[graphql(guard = "Perm(Permission::ReportRead)")]
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
    #[graphql(guard = "Perm(Permission::AuditRead)")]
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

    #[graphql(guard = "Perm(Permission::UserManage)")]
    async fn users(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let state = ctx.data::<AppState>()?;
        Ok(directory::list_users(&state.db)
            .await
            .gql()?
            .into_iter()
            .map(User)
            .collect())
    }

    /// Teams (any signed-in user may list them: queues and routing name them).
    #[graphql(guard = "Authenticated")]
    async fn teams(&self, ctx: &Context<'_>) -> Result<Vec<Team>> {
        let state = ctx.data::<AppState>()?;
        Ok(directory::list_teams(&state.db)
            .await
            .gql()?
            .into_iter()
            .map(Team)
            .collect())
    }

    #[graphql(guard = "Perm(Permission::RoleManage).or(Perm(Permission::UserManage))")]
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<Role>> {
        let state = ctx.data::<AppState>()?;
        Ok(directory::list_roles(&state.db)
            .await
            .gql()?
            .into_iter()
            .map(Role)
            .collect())
    }

    /// The caller's permissions, flattened: `request.read.all` for every workflow,
    /// `request.read.all@purchase-request` for one (the web app builds its navigation from it).
    #[graphql(guard = "Authenticated")]
    async fn my_permissions(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(principal(ctx)?
            .grants
            .iter()
            .map(|g| g.to_claim())
            .collect())
    }

    /// Every permission a role can grant.
    #[graphql(guard = "Authenticated")]
    async fn permissions(&self) -> Vec<PermissionInfo> {
        Permission::ALL
            .iter()
            .map(|p| PermissionInfo {
                name: p.as_str().to_owned(),
                description: p.description().to_owned(),
            })
            .collect()
    }

    /// The caller's API tokens (all tokens for user managers).
    #[graphql(guard = "Authenticated")]
    async fn api_tokens(&self, ctx: &Context<'_>) -> Result<Vec<ApiToken>> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        Ok(directory::list_api_tokens(&state.db, p)
            .await
            .gql()?
            .into_iter()
            .map(ApiToken::try_from)
            .collect::<crate::error::AppResult<_>>()?)
    }
}
