//! The directory's output types: `User`, `Team`, `Role` and its grants, permissions, sessions
//! and API tokens. Each wraps a row or a service result and reaches related rows through the
//! directory's DataLoaders; none is a database entity.

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::db::entities::{api_token, role_permission, team, user};
use crate::error::{AppError, AppResult};
use crate::graphql::directory::loaders::{
    TeamLoader, TeamMembersLoader, UserLoader, UserRolesLoader, UserTeamsLoader,
};
use crate::graphql::loaders::{load_list, load_many, load_one};
use crate::services::directory::RoleWithGrants;

/// The user with this id, if there is one (`None` for `None`).
pub async fn load_user(ctx: &Context<'_>, id: Option<&str>) -> Result<Option<User>> {
    let Some(id) = id else { return Ok(None) };
    Ok(load_one::<UserLoader>(ctx, id).await?.map(User))
}

/// The user with this id, which a row refers to and so must exist (`what` names the
/// reference for the log).
pub async fn required_user(ctx: &Context<'_>, id: &str, what: &str) -> Result<User> {
    load_user(ctx, Some(id))
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("{what} {id:?} does not exist")).into())
}

/// A person (or service account) who uses Handoff.
pub struct User(pub user::Model);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    /// Role keys.
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        load_list::<UserRolesLoader, _>(ctx, &self.0.id).await
    }
    #[graphql(complexity = "crate::graphql::limits::few(child_complexity)")]
    async fn teams(&self, ctx: &Context<'_>) -> Result<Vec<Team>> {
        let keys = load_list::<UserTeamsLoader, _>(ctx, &self.0.id).await?;
        Ok(load_many::<TeamLoader>(ctx, &keys)
            .await?
            .into_iter()
            .map(Team)
            .collect())
    }
    async fn manager(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        load_user(ctx, self.0.manager_id.as_deref()).await
    }
}

pub struct Team(pub team::Model);

#[Object]
impl Team {
    async fn key(&self) -> &str {
        &self.0.key
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    #[graphql(complexity = "crate::graphql::limits::many(child_complexity)")]
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let ids = load_list::<TeamMembersLoader, _>(ctx, &self.0.key).await?;
        let mut out: Vec<User> = load_many::<UserLoader>(ctx, &ids)
            .await?
            .into_iter()
            .map(User)
            .collect();
        out.sort_by(|a, b| a.0.email.cmp(&b.0.email));
        Ok(out)
    }
}

/// A permission granted by a role, for every workflow (`workflows: null`) or the listed ones.
#[derive(SimpleObject)]
pub struct RoleGrant {
    pub permission: String,
    pub workflows: Option<Vec<String>>,
}

pub struct Role(pub RoleWithGrants);

#[Object]
impl Role {
    async fn key(&self) -> &str {
        &self.0.role.key
    }
    async fn name(&self) -> &str {
        &self.0.role.name
    }
    /// Built-in roles can be edited but not deleted.
    async fn builtin(&self) -> bool {
        self.0.role.builtin
    }
    #[graphql(complexity = "crate::graphql::limits::few(child_complexity)")]
    async fn permissions(&self) -> Result<Vec<RoleGrant>> {
        Ok(self.0.grants.iter().map(grant).collect::<AppResult<_>>()?)
    }
}

/// A grant as stored: unreadable workflow scopes are an error, never "every workflow".
fn grant(g: &role_permission::Model) -> AppResult<RoleGrant> {
    let workflows = g.workflows.as_ref().map(|w| w.0.clone());
    Ok(RoleGrant {
        permission: g.permission.clone(),
        workflows,
    })
}

/// A permission name and what it allows.
#[derive(SimpleObject)]
pub struct PermissionInfo {
    pub name: String,
    pub description: String,
}

#[derive(SimpleObject)]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

#[derive(SimpleObject)]
pub struct ApiToken {
    pub id: ID,
    pub name: String,
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl TryFrom<api_token::Model> for ApiToken {
    type Error = AppError;

    /// Unreadable stored roles are an error, never an empty list.
    fn try_from(t: api_token::Model) -> AppResult<Self> {
        Ok(Self {
            id: ID(t.id),
            name: t.name,
            roles: t.roles.0,
            created_at: t.created_at,
            revoked_at: t.revoked_at,
            last_used_at: t.last_used_at,
        })
    }
}

/// A new API token. `secret` is shown this once and never again.
#[derive(SimpleObject)]
pub struct NewApiToken {
    pub token: ApiToken,
    pub secret: String,
}
