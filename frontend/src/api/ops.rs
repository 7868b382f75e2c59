//! The typed operations, generated at compile time from `schema.graphql` and one `.graphql`
//! file per operation under `src/graphql/`. A field that disappears from the schema breaks
//! the build here instead of a page at runtime.

use graphql_client::GraphQLQuery;

/// The server's `DateTime` scalar: RFC 3339 text, formatted for display where shown.
pub type DateTime = String;
/// The server's `JSON` scalar.
#[expect(
    clippy::upper_case_acronyms,
    reason = "the generated code names the type after the schema's scalar"
)]
pub type JSON = serde_json::Value;

// rustfmt re-indents attributes inside `macro_rules!` differently on every run; skipping it
// keeps `cargo fmt --check` stable.
#[rustfmt::skip]
macro_rules! operation {
    ($name:ident, $file:tt) => {
        #[derive(GraphQLQuery)]
        #[graphql(
            schema_path = "../schema.graphql",
            query_path = $file,
            response_derives = "Debug, Clone, PartialEq",
            variables_derives = "Debug, Clone, Default",
            skip_serializing_none
        )]
        pub struct $name;
    };
}

operation!(Login, "src/graphql/login.graphql");
operation!(Logout, "src/graphql/logout.graphql");
operation!(Me, "src/graphql/me.graphql");
operation!(Requests, "src/graphql/requests.graphql");
operation!(Workflows, "src/graphql/workflows.graphql");
operation!(Workflow, "src/graphql/workflow.graphql");
operation!(WorkflowVersions, "src/graphql/workflow_versions.graphql");
operation!(PublishWorkflow, "src/graphql/publish_workflow.graphql");
operation!(SubmitRequest, "src/graphql/submit_request.graphql");
operation!(RequestDetail, "src/graphql/request.graphql");
operation!(Transition, "src/graphql/transition.graphql");
operation!(Decide, "src/graphql/decide.graphql");
operation!(UpdateFields, "src/graphql/update_fields.graphql");
operation!(AddComment, "src/graphql/add_comment.graphql");
operation!(Assign, "src/graphql/assign.graphql");
operation!(MyApprovals, "src/graphql/my_approvals.graphql");
operation!(Dashboard, "src/graphql/dashboard.graphql");
operation!(Directory, "src/graphql/directory.graphql");
operation!(CreateUser, "src/graphql/create_user.graphql");
operation!(UpdateUser, "src/graphql/update_user.graphql");
operation!(ClearManager, "src/graphql/clear_manager.graphql");
operation!(CreateTeam, "src/graphql/create_team.graphql");
operation!(UpdateTeam, "src/graphql/update_team.graphql");
operation!(CreateRole, "src/graphql/create_role.graphql");
operation!(UpdateRole, "src/graphql/update_role.graphql");
