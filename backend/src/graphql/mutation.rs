//! Mutation resolvers: guard, call one service, convert. Every mutation but `login`,
//! `validateWorkflow`, `publishWorkflow` and the single-id ones takes one `input` argument.

use async_graphql::{Context, ID, InputObject, Json, MaybeUndefined, Object, Result};
use handoff_shared::Permission;

use crate::graphql::error::GqlResult;
use crate::graphql::guards::{Authenticated, Perm, Public, principal};
use crate::graphql::types::*;
use crate::services::directory::{self, GrantInput, NewUser, UserUpdate};
use crate::services::{requests, workflows};
use crate::state::AppState;

#[derive(InputObject)]
pub struct SubmitRequestInput {
    /// The workflow key.
    pub workflow: String,
    pub fields: Json<serde_json::Value>,
    /// Retrying with the same key answers the request the first call created.
    pub idempotency_key: Option<String>,
}

#[derive(InputObject)]
pub struct TransitionInput {
    pub request_id: ID,
    /// The transition key.
    pub transition: String,
    pub comment: Option<String>,
    /// Field values to set with the move (e.g. a required `po_number`).
    pub fields: Option<Json<serde_json::Value>>,
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct DecisionInput {
    pub request_id: ID,
    pub approve: bool,
    pub comment: Option<String>,
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct UpdateFieldsInput {
    pub request_id: ID,
    /// Changed values only; `null` clears a field.
    pub fields: Json<serde_json::Value>,
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct CommentInput {
    pub request_id: ID,
    pub body: String,
}

#[derive(InputObject)]
pub struct AssignInput {
    pub request_id: ID,
    /// `null` unassigns; your own id claims.
    pub user_id: Option<ID>,
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub email: String,
    pub name: String,
    pub password: Option<String>,
    #[graphql(default)]
    pub roles: Vec<String>,
    #[graphql(default)]
    pub teams: Vec<String>,
    /// The manager's email.
    pub manager: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateUserInput {
    pub id: ID,
    pub name: Option<String>,
    pub password: Option<String>,
    pub roles: Option<Vec<String>>,
    pub teams: Option<Vec<String>>,
    /// The manager's email; `null` clears it, omitted leaves it.
    pub manager: MaybeUndefined<String>,
    pub active: Option<bool>,
}

#[derive(InputObject)]
pub struct CreateTeamInput {
    pub key: String,
    pub name: String,
}

#[derive(InputObject)]
pub struct UpdateTeamInput {
    pub key: String,
    pub name: String,
}

#[derive(InputObject)]
pub struct GrantInputObject {
    pub permission: String,
    /// Workflow keys; omit for every workflow.
    pub workflows: Option<Vec<String>>,
}

#[derive(InputObject)]
pub struct CreateRoleInput {
    pub key: String,
    pub name: String,
    pub permissions: Vec<GrantInputObject>,
}

#[derive(InputObject)]
pub struct UpdateRoleInput {
    pub key: String,
    pub name: Option<String>,
    pub permissions: Option<Vec<GrantInputObject>>,
}

#[derive(InputObject)]
pub struct CreateApiTokenInput {
    pub name: String,
    /// Role keys the token acts with; each must be one of yours.
    pub roles: Vec<String>,
}

fn grants(list: Vec<GrantInputObject>) -> Vec<GrantInput> {
    list.into_iter()
        .map(|g| GrantInput {
            permission: g.permission,
            workflows: g.workflows,
        })
        .collect()
}

pub struct MutationRoot;

// Merged into the schema's root (`graphql::Query` / `graphql::Mutation`), which owns the name.
#[Object(name = "CoreMutation")]
impl MutationRoot {
    /// Signs in with email and password; answers a short-lived token.
    #[graphql(guard = "Public")]
    async fn login(&self, ctx: &Context<'_>, email: String, password: String) -> Result<Session> {
        let state = ctx.data::<AppState>()?;
        let s = directory::login(state, &email, &password).await.gql()?;
        Ok(Session {
            token: s.token,
            expires_at: s.expires_at,
            user: User(s.user),
        })
    }

    /// Every problem of a definition, with paths; empty when it can be published.
    #[graphql(guard = "Perm(Permission::WorkflowManage)")]
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

    #[graphql(guard = "Perm(Permission::RequestSubmit)")]
    async fn submit_request(
        &self,
        ctx: &Context<'_>,
        input: SubmitRequestInput,
    ) -> Result<Request> {
        let state = ctx.data::<AppState>()?;
        let input = requests::SubmitInput {
            workflow: input.workflow,
            fields: input.fields.0,
            idempotency_key: input.idempotency_key,
        };
        Ok(Request(
            requests::submit(state, principal(ctx)?, input)
                .await
                .gql()?,
        ))
    }

    #[graphql(guard = "Authenticated")]
    async fn transition(&self, ctx: &Context<'_>, input: TransitionInput) -> Result<Request> {
        let state = ctx.data::<AppState>()?;
        let input = requests::TransitionInput {
            request_id: input.request_id.0,
            transition: input.transition,
            comment: input.comment,
            fields: input.fields.map(|f| f.0),
            expected_version: input.expected_version,
        };
        Ok(Request(
            requests::transition(state, principal(ctx)?, input)
                .await
                .gql()?,
        ))
    }

    /// Approves or rejects the approval step waiting for the caller.
    #[graphql(guard = "Authenticated")]
    async fn decide(&self, ctx: &Context<'_>, input: DecisionInput) -> Result<Request> {
        let state = ctx.data::<AppState>()?;
        let input = requests::DecisionInput {
            request_id: input.request_id.0,
            approve: input.approve,
            comment: input.comment,
            expected_version: input.expected_version,
        };
        Ok(Request(
            requests::decide(state, principal(ctx)?, input)
                .await
                .gql()?,
        ))
    }

    #[graphql(guard = "Authenticated")]
    async fn update_fields(&self, ctx: &Context<'_>, input: UpdateFieldsInput) -> Result<Request> {
        let state = ctx.data::<AppState>()?;
        let input = requests::UpdateFieldsInput {
            request_id: input.request_id.0,
            fields: input.fields.0,
            expected_version: input.expected_version,
        };
        Ok(Request(
            requests::update_fields(state, principal(ctx)?, input)
                .await
                .gql()?,
        ))
    }

    #[graphql(guard = "Authenticated")]
    async fn add_comment(&self, ctx: &Context<'_>, input: CommentInput) -> Result<Event> {
        let state = ctx.data::<AppState>()?;
        Ok(Event(
            requests::add_comment(state, principal(ctx)?, &input.request_id, &input.body)
                .await
                .gql()?,
        ))
    }

    #[graphql(guard = "Perm(Permission::RequestWork)")]
    async fn assign(&self, ctx: &Context<'_>, input: AssignInput) -> Result<Request> {
        let state = ctx.data::<AppState>()?;
        let input = requests::AssignInput {
            request_id: input.request_id.0,
            user_id: input.user_id.map(|i| i.0),
            expected_version: input.expected_version,
        };
        Ok(Request(
            requests::assign(state, principal(ctx)?, input)
                .await
                .gql()?,
        ))
    }

    #[graphql(guard = "Perm(Permission::UserManage)")]
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<User> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        let new = NewUser {
            email: input.email,
            name: input.name,
            password: input.password,
            roles: input.roles,
            teams: input.teams,
            manager: input.manager,
        };
        Ok(User(
            directory::create_user(state, Some(&p.user_id), new)
                .await
                .gql()?,
        ))
    }

    #[graphql(guard = "Perm(Permission::UserManage)")]
    async fn update_user(&self, ctx: &Context<'_>, input: UpdateUserInput) -> Result<User> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        let manager = match input.manager {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(m) => Some(Some(m)),
        };
        let update = UserUpdate {
            id: input.id.0,
            name: input.name,
            password: input.password,
            roles: input.roles,
            teams: input.teams,
            manager,
            active: input.active,
        };
        Ok(User(
            directory::update_user(state, &p.user_id, update)
                .await
                .gql()?,
        ))
    }

    #[graphql(guard = "Perm(Permission::TeamManage)")]
    async fn create_team(&self, ctx: &Context<'_>, input: CreateTeamInput) -> Result<Team> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        Ok(Team(
            directory::create_team(state, Some(&p.user_id), &input.key, &input.name)
                .await
                .gql()?,
        ))
    }

    /// Renames a team (members are set per user with `updateUser`).
    #[graphql(guard = "Perm(Permission::TeamManage)")]
    async fn update_team(&self, ctx: &Context<'_>, input: UpdateTeamInput) -> Result<Team> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        Ok(Team(
            directory::update_team(state, &p.user_id, &input.key, &input.name)
                .await
                .gql()?,
        ))
    }

    #[graphql(guard = "Perm(Permission::RoleManage)")]
    async fn create_role(&self, ctx: &Context<'_>, input: CreateRoleInput) -> Result<Role> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        directory::create_role(
            state,
            Some(&p.user_id),
            &input.key,
            &input.name,
            grants(input.permissions),
        )
        .await
        .gql()?;
        role_by_key(state, &input.key).await
    }

    #[graphql(guard = "Perm(Permission::RoleManage)")]
    async fn update_role(&self, ctx: &Context<'_>, input: UpdateRoleInput) -> Result<Role> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        directory::update_role(
            state,
            &p.user_id,
            &input.key,
            input.name,
            input.permissions.map(grants),
        )
        .await
        .gql()?;
        role_by_key(state, &input.key).await
    }

    /// Deletes a custom role (built-in roles cannot be deleted). Answers the key.
    #[graphql(guard = "Perm(Permission::RoleManage)")]
    async fn delete_role(&self, ctx: &Context<'_>, key: String) -> Result<String> {
        let state = ctx.data::<AppState>()?;
        directory::delete_role(state, &principal(ctx)?.user_id, &key)
            .await
            .gql()?;
        Ok(key)
    }

    /// Creates an API token acting as you with the named roles. The secret is shown once.
    #[graphql(guard = "Authenticated")]
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        input: CreateApiTokenInput,
    ) -> Result<NewApiToken> {
        let state = ctx.data::<AppState>()?;
        let t = directory::create_api_token(state, principal(ctx)?, &input.name, input.roles)
            .await
            .gql()?;
        Ok(NewApiToken {
            token: t.token.try_into()?,
            secret: t.secret,
        })
    }

    #[graphql(guard = "Authenticated")]
    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> Result<ApiToken> {
        let state = ctx.data::<AppState>()?;
        let token = directory::revoke_api_token(state, principal(ctx)?, &id)
            .await
            .gql()?;
        Ok(token.try_into()?)
    }
}

async fn role_by_key(state: &AppState, key: &str) -> Result<Role> {
    directory::list_roles(&state.db)
        .await
        .gql()?
        .into_iter()
        .find(|r| r.role.key == key)
        .map(Role)
        .ok_or_else(|| crate::error::AppError::not_found("role").into())
}
