//! The requests' queries (the list with its filter, one request, the approval inbox) and the
//! `RequestFilter` input that `requestChanged` shares.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use handoff_shared::definition::{Priority as DefPriority, StatusCategory as DefCategory};

use crate::error::AppError;
use crate::graphql::error::GqlResult;
use crate::graphql::guards::{Authenticated, principal};
use crate::graphql::requests::types::{
    ApprovalTask, PageInfo, Priority, Request, RequestConnection, RequestEdge,
};
use crate::graphql::workflows::types::StatusCategory;
use crate::services::{queries, requests};
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
    /// The filter as the services take it (lists and subscriptions alike).
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

/// Request lists, single requests and the approval inbox.
pub struct RequestQuery;

#[Object]
impl RequestQuery {
    /// Requests the caller may read, newest first unless sorted otherwise.
    #[graphql(
        guard = "Authenticated",
        complexity = "crate::graphql::limits::page(first, 25, 100, child_complexity)"
    )]
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
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Approval steps waiting for the caller's decision.
    #[graphql(
        guard = "Authenticated",
        complexity = "crate::graphql::limits::many(child_complexity)"
    )]
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
}
