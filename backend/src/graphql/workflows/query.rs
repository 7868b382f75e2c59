//! The workflows' queries: the versions a caller may see, and every version for admins.

use async_graphql::{Context, Object, Result};
use handoff_shared::Permission;

use crate::graphql::error::GqlResult;
use crate::graphql::guards::{Authenticated, Perm, principal};
use crate::graphql::workflows::types::Workflow;
use crate::services::workflows;
use crate::state::AppState;

/// Published workflow versions.
pub struct WorkflowQuery;

#[Object]
impl WorkflowQuery {
    /// The latest published version of each workflow the caller may see.
    #[graphql(
        guard = "Authenticated",
        complexity = "crate::graphql::limits::many(child_complexity)"
    )]
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
    #[graphql(
        guard = "Perm(Permission::WorkflowManage)",
        complexity = "crate::graphql::limits::many(child_complexity)"
    )]
    async fn workflow_versions(&self, ctx: &Context<'_>, key: String) -> Result<Vec<Workflow>> {
        let state = ctx.data::<AppState>()?;
        Ok(workflows::versions(&state.db, &key)
            .await
            .gql()?
            .into_iter()
            .map(Workflow)
            .collect())
    }
}
