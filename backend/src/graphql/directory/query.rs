//! The directory's queries. `SessionQuery` (`me`) and `DirectoryQuery` are two objects only
//! because the root lists `me` first and the rest after the other areas' fields, and the
//! exported SDL keeps field order (`schema.graphql` is compared as text).

use async_graphql::{Context, Object, Result};
use handoff_shared::Permission;

use crate::error::AppResult;
use crate::graphql::directory::loaders::UserLoader;
use crate::graphql::directory::types::{ApiToken, PermissionInfo, Role, Team, User};
use crate::graphql::error::GqlResult;
use crate::graphql::guards::{Authenticated, Perm, principal};
use crate::graphql::loaders::load_one;
use crate::services::directory;
use crate::state::AppState;

/// The caller's own user (merged into the root first).
pub struct SessionQuery;

#[Object]
impl SessionQuery {
    /// The signed-in user.
    #[graphql(guard = "Authenticated")]
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let p = principal(ctx)?;
        Ok(load_one::<UserLoader>(ctx, &p.user_id).await?.map(User))
    }
}

/// People, teams, roles, permissions and API tokens.
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    #[graphql(
        guard = "Perm(Permission::UserManage)",
        complexity = "crate::graphql::limits::many(child_complexity)"
    )]
    async fn users(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let state = ctx.data::<AppState>()?;
        Ok(directory::list_users(&state.db)
            .await
            .gql()?
            .into_iter()
            .map(User)
            .collect())
    }

    /// Teams (any signed-in user may list them: queues and routing name them).
    #[graphql(
        guard = "Authenticated",
        complexity = "crate::graphql::limits::many(child_complexity)"
    )]
    async fn teams(&self, ctx: &Context<'_>) -> Result<Vec<Team>> {
        let state = ctx.data::<AppState>()?;
        Ok(directory::list_teams(&state.db)
            .await
            .gql()?
            .into_iter()
            .map(Team)
            .collect())
    }

    #[graphql(
        guard = "Perm(Permission::RoleManage).or(Perm(Permission::UserManage))",
        complexity = "crate::graphql::limits::many(child_complexity)"
    )]
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<Role>> {
        let state = ctx.data::<AppState>()?;
        Ok(directory::list_roles(&state.db)
            .await
            .gql()?
            .into_iter()
            .map(Role)
            .collect())
    }

    /// The caller's permissions, flattened: `request.read.all` for every workflow,
    /// `request.read.all@purchase-request` for one (the web app builds its navigation from it).
    #[graphql(guard = "Authenticated")]
    async fn my_permissions(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(principal(ctx)?
            .grants
            .iter()
            .map(|g| g.to_claim())
            .collect())
    }

    /// Every permission a role can grant.
    #[graphql(
        guard = "Authenticated",
        complexity = "crate::graphql::limits::many(child_complexity)"
    )]
    async fn permissions(&self) -> Vec<PermissionInfo> {
        Permission::ALL
            .iter()
            .map(|p| PermissionInfo {
                name: p.as_str().to_owned(),
                description: p.description().to_owned(),
            })
            .collect()
    }

    /// The caller's API tokens (all tokens for user managers).
    #[graphql(
        guard = "Authenticated",
        complexity = "crate::graphql::limits::many(child_complexity)"
    )]
    async fn api_tokens(&self, ctx: &Context<'_>) -> Result<Vec<ApiToken>> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        Ok(directory::list_api_tokens(&state.db, p)
            .await
            .gql()?
            .into_iter()
            .map(ApiToken::try_from)
            .collect::<AppResult<_>>()?)
    }
}
