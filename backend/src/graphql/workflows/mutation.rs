//! The workflows' mutations: validating a definition and publishing it as a new version.

use async_graphql::{Context, Object, Result};
use handoff_shared::Permission;

use crate::graphql::error::GqlResult;
use crate::graphql::guards::{Perm, principal};
use crate::graphql::workflows::types::{DefinitionProblem, Workflow};
use crate::services::workflows;
use crate::state::AppState;

/// Validating and publishing definitions.
pub struct WorkflowMutation;

#[Object]
impl WorkflowMutation {
    /// Every problem of a definition, with paths; empty when it can be published.
    #[graphql(
        guard = "Perm(Permission::WorkflowManage)",
        complexity = "crate::graphql::limits::many(child_complexity)"
    )]
    async fn validate_workflow(
        &self,
        ctx: &Context<'_>,
        definition: String,
    ) -> Result<Vec<DefinitionProblem>> {
        let state = ctx.data::<AppState>()?;
        Ok(match workflows::validate(state, &definition).await.gql()? {
            Ok(_) => vec![],
            Err(problems) => problems
                .into_iter()
                .map(|p| DefinitionProblem {
                    path: p.path,
                    message: p.message,
                })
                .collect(),
        })
    }

    /// Publishes a new immutable version (YAML or JSON).
    #[graphql(guard = "Perm(Permission::WorkflowManage)")]
    async fn publish_workflow(&self, ctx: &Context<'_>, definition: String) -> Result<Workflow> {
        let state = ctx.data::<AppState>()?;
        Ok(Workflow(
            workflows::publish(state, principal(ctx)?, &definition)
                .await
                .gql()?,
        ))
    }
}
