//! The GraphQL API: schema, guards, errors, DataLoaders and one resolver module per root type.
//! Resolvers stay thin; nothing here imports `sea_orm` query APIs or runs business rules.

pub mod error;
pub mod guards;
pub mod integrations;
pub mod loaders;
pub mod mutation;
pub mod query;
pub mod subscription;
pub mod types;

use async_graphql::{MergedObject, Schema};

use crate::state::AppState;

/// The query root: the core fields and the integrations' (`integrations::IntegrationQuery`).
#[derive(MergedObject)]
#[graphql(name = "QueryRoot")]
pub struct Query(query::QueryRoot, integrations::IntegrationQuery);

/// The mutation root: the core mutations and the integrations'.
#[derive(MergedObject)]
#[graphql(name = "MutationRoot")]
pub struct Mutation(mutation::MutationRoot, integrations::IntegrationMutation);

pub type AppSchema = Schema<Query, Mutation, subscription::SubscriptionRoot>;

/// Deepest query accepted: enough for the explorer's introspection query (about 14), far
/// below what could hurt (a request's approvals' approvers' teams' members is 6).
pub const MAX_DEPTH: usize = 16;
/// Most expensive query accepted (one point per field).
pub const MAX_COMPLEXITY: usize = 5_000;

pub fn build_schema(state: AppState) -> AppSchema {
    Schema::build(
        Query(query::QueryRoot, integrations::IntegrationQuery),
        Mutation(mutation::MutationRoot, integrations::IntegrationMutation),
        subscription::SubscriptionRoot,
    )
    .data(state)
    .extension(error::ErrorCodes)
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .finish()
}

/// The schema as SDL; `schema.graphql` at the repository root is this text.
pub fn sdl() -> String {
    Schema::build(
        Query(query::QueryRoot, integrations::IntegrationQuery),
        Mutation(mutation::MutationRoot, integrations::IntegrationMutation),
        subscription::SubscriptionRoot,
    )
    .finish()
    .sdl()
}
