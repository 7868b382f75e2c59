//! The GraphQL API: schema, guards, errors, DataLoaders and one resolver module per root type.
//! Resolvers stay thin; nothing here imports `sea_orm` query APIs or runs business rules.

pub mod error;
pub mod guards;
pub mod loaders;
pub mod mutation;
pub mod query;
pub mod subscription;
pub mod types;

use async_graphql::Schema;

use crate::state::AppState;

pub type AppSchema =
    Schema<query::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot>;

/// Deepest query accepted (a request's approvals' approvers' teams' members is 6).
pub const MAX_DEPTH: usize = 12;
/// Most expensive query accepted (one point per field).
pub const MAX_COMPLEXITY: usize = 5_000;

pub fn build_schema(state: AppState) -> AppSchema {
    Schema::build(
        query::QueryRoot,
        mutation::MutationRoot,
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
        query::QueryRoot,
        mutation::MutationRoot,
        subscription::SubscriptionRoot,
    )
    .finish()
    .sdl()
}
