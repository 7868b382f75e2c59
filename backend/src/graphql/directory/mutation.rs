//! The directory's mutations: sign-in and sign-out (`SessionMutation`, merged into the root first, as the
//! SDL's field order has it) and the administration of users, teams, roles and API tokens.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use axum::http::header;
use handoff_shared::Permission;

use crate::error::AppError;
use crate::graphql::directory::types::{ApiToken, NewApiToken, Role, Session, Team, User};
use crate::graphql::error::GqlResult;
use crate::graphql::guards::{Authenticated, Caller, Perm, Public, principal};
use crate::http::cookie;
use crate::services::directory::{self, GrantInput, NewUser, UserUpdate};
use crate::state::AppState;

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

/// Sign-in and sign-out.
pub struct SessionMutation;

#[Object]
impl SessionMutation {
    /// Signs in with email and password and starts a session. Answers its token (send it as
    /// `Authorization: Bearer`) and sets it as the web app's `HttpOnly` session cookie. Failed
    /// sign-ins are throttled per account and per client address: `RATE_LIMITED` with
    /// `extensions.retryAfter` and a `Retry-After` header.
    #[graphql(guard = "Public")]
    async fn login(&self, ctx: &Context<'_>, email: String, password: String) -> Result<Session> {
        let state = ctx.data::<AppState>()?;
        let caller = ctx.data_opt::<Caller>().cloned().unwrap_or_default();
        let s = match directory::login(state, caller.client, &email, &password).await {
            Ok(s) => s,
            Err(err) => {
                if let Some(seconds) = err.retry_after() {
                    ctx.insert_http_header(header::RETRY_AFTER, seconds.to_string());
                }
                return Err(err.into());
            }
        };
        let max_age = (s.expires_at - chrono::Utc::now()).num_seconds();
        ctx.append_http_header(
            header::SET_COOKIE,
            cookie::set_session(&s.token, max_age, caller.secure_cookie),
        );
        Ok(Session {
            token: s.token,
            expires_at: s.expires_at,
            user: User(s.user),
        })
    }

    /// Signs the calling session out: its token and cookie stop working at once, here and in
    /// every other process. Answers `true`.
    #[graphql(guard = "Authenticated")]
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        directory::logout(state, p).await.gql()?;
        let secure = ctx.data_opt::<Caller>().is_some_and(|c| c.secure_cookie);
        ctx.append_http_header(header::SET_COOKIE, cookie::clear_session(secure));
        Ok(true)
    }
}

/// Users, teams, roles and API tokens.
pub struct DirectoryMutation;

#[Object]
impl DirectoryMutation {
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

/// A role with its grants, as `roles` lists it (what the role mutations answer).
async fn role_by_key(state: &AppState, key: &str) -> Result<Role> {
    directory::list_roles(&state.db)
        .await
        .gql()?
        .into_iter()
        .find(|r| r.role.key == key)
        .map(Role)
        .ok_or_else(|| AppError::not_found("role").into())
}
