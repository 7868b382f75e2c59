//! The schema: the root objects merged from each area's, the limits, the DataLoaders each
//! request or session gets, and the SDL export (`schema.graphql` is its text).
//!
//! The order of the merged parts is the order of the root's fields in the SDL, which
//! `schema.graphql` fixes: that is why the directory appears twice (`me` and `login` come
//! first, the rest of the directory after requests and reports).

use async_graphql::{Data, MergedObject, Schema};

use crate::graphql::{
    directory, error, integrations, limits, notifications, reports, requests, workflows,
};
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
/// Most expensive query accepted. Fields cost 1 and lists multiply their selection
/// (`limits::few`, `limits::many`, `limits::page`), so the cost follows the rows a query may
/// touch: the web app's largest queries, a page of 100 requests with their status, workflow,
/// team and people, or the directory page's users, teams and roles, cost 3,000 to 4,500;
/// `dashboard` costs 2,500 (`limits::DASHBOARD_COST`), about what a full page costs the
/// database. So a document asks for at most a few pages or dashboards.
pub const MAX_COMPLEXITY: usize = 10_000;

/// What the configuration decides about the schema.
#[derive(Debug, Clone, Copy)]
pub struct SchemaSettings {
    /// Whether signed-in callers may introspect (anonymous callers never may).
    pub introspection: bool,
}

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

/// The schema with its limits. `ErrorCodes` is registered first, so it is the outermost
/// extension and sees every error, `Limits`' refusals included.
pub fn build_schema(state: AppState, settings: SchemaSettings) -> AppSchema {
    let (query, mutation, subscription) = roots();
    let builder = Schema::build(query, mutation, subscription)
        .data(state)
        .extension(error::ErrorCodes)
        .extension(limits::Limits {
            introspection: settings.introspection,
        })
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_directives(limits::MAX_DIRECTIVES_PER_FIELD);
    if settings.introspection {
        builder.finish()
    } else {
        // Suggestions would spell out what introspection no longer shows.
        builder
            .disable_introspection()
            .disable_suggestions()
            .finish()
    }
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
