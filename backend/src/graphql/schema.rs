//! The schema: the root objects merged from each area's, the limits, the DataLoaders each
//! request or session gets, and the SDL export (`schema.graphql` is its text).
//!
//! The order of the merged parts is the order of the root's fields in the SDL, which
//! `schema.graphql` fixes: that is why the directory appears twice (`me` and `login` come
//! first, the rest of the directory after requests and reports).

use async_graphql::{Data, MergedObject, Schema};

use crate::graphql::{directory, error, integrations, notifications, reports, requests, workflows};
use crate::state::AppState;

// The doc comments of `Query` and `Mutation` are the roots' descriptions in `schema.graphql`.

/// The query root: the core fields and the integrations' (`integrations::IntegrationQuery`).
#[derive(MergedObject)]
#[graphql(name = "QueryRoot")]
pub struct Query(
    directory::query::SessionQuery,
    workflows::query::WorkflowQuery,
    requests::query::RequestQuery,
    reports::query::ReportQuery,
    directory::query::DirectoryQuery,
    integrations::query::IntegrationQuery,
    notifications::query::NotificationQuery,
);

/// The mutation root: the core mutations and the integrations'.
#[derive(MergedObject)]
#[graphql(name = "MutationRoot")]
pub struct Mutation(
    directory::mutation::SessionMutation,
    workflows::mutation::WorkflowMutation,
    requests::mutation::RequestMutation,
    directory::mutation::DirectoryMutation,
    integrations::mutation::IntegrationMutation,
    notifications::mutation::NotificationMutation,
);

pub type AppSchema = Schema<Query, Mutation, requests::subscription::SubscriptionRoot>;

/// Deepest query accepted: enough for the explorer's introspection query (about 14), far
/// below what could hurt (a request's approvals' approvers' teams' members is 6).
pub const MAX_DEPTH: usize = 16;
/// Most expensive query accepted (one point per field).
pub const MAX_COMPLEXITY: usize = 5_000;

/// The three roots, built from the areas' parts.
fn roots() -> (Query, Mutation, requests::subscription::SubscriptionRoot) {
    let query = Query(
        directory::query::SessionQuery,
        workflows::query::WorkflowQuery,
        requests::query::RequestQuery,
        reports::query::ReportQuery,
        directory::query::DirectoryQuery,
        integrations::query::IntegrationQuery,
        notifications::query::NotificationQuery,
    );
    let mutation = Mutation(
        directory::mutation::SessionMutation,
        workflows::mutation::WorkflowMutation,
        requests::mutation::RequestMutation,
        directory::mutation::DirectoryMutation,
        integrations::mutation::IntegrationMutation,
        notifications::mutation::NotificationMutation,
    );
    (query, mutation, requests::subscription::SubscriptionRoot)
}

pub fn build_schema(state: AppState) -> AppSchema {
    let (query, mutation, subscription) = roots();
    Schema::build(query, mutation, subscription)
        .data(state)
        .extension(error::ErrorCodes)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// Registers every DataLoader, each on its own, for one HTTP request or WebSocket session
/// (a loader's cache must not outlive what its caller may read).
pub fn insert_loaders(data: &mut Data, state: &AppState) {
    directory::loaders::register(data, state);
    workflows::loaders::register(data, state);
    requests::loaders::register(data, state);
    integrations::loaders::register(data, state);
}

/// The schema as SDL; `schema.graphql` at the repository root is this text.
pub fn sdl() -> String {
    let (query, mutation, subscription) = roots();
    Schema::build(query, mutation, subscription).finish().sdl()
}
