//! Sign-in and credentials: checking a password and issuing a session, turning a bearer
//! credential (session JWT or API token) into a `Principal`, and building a principal's roles,
//! teams and grants from the database.
//!
//! A session JWT carries the flattened grants, so verifying one needs no database; an API
//! token is looked up by hash on every call, so revoking it takes effect at once.

use handoff_shared::Permission;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::auth::principal::ScopedPermission;
use crate::auth::{Claims, Principal, password};
use crate::db::entities::{role, role_permission, team, team_member, user, user_role};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

use super::tokens;

/// The roles, teams and grants of a user (or of an API token's roles).
async fn access_of(
    db: &impl ConnectionTrait,
    user_id: &str,
    role_keys: Option<&[String]>,
) -> AppResult<(Vec<String>, Vec<String>, Vec<ScopedPermission>)> {
    let roles: Vec<role::Model> = match role_keys {
        Some(keys) => {
            role::Entity::find()
                .filter(role::Column::Key.is_in(keys.iter().cloned()))
                .all(db)
                .await?
        }
        None => {
            let ids: Vec<String> = user_role::Entity::find()
                .filter(user_role::Column::UserId.eq(user_id))
                .all(db)
                .await?
                .into_iter()
                .map(|r| r.role_id)
                .collect();
            role::Entity::find()
                .filter(role::Column::Id.is_in(ids))
                .all(db)
                .await?
        }
    };
    let grants_rows = role_permission::Entity::find()
        .filter(role_permission::Column::RoleId.is_in(roles.iter().map(|r| r.id.clone())))
        .all(db)
        .await?;
    let mut grants = Vec::new();
    for g in grants_rows {
        // A stored permission this build does not know is an error, never a silently
        // smaller (or larger) set of rights.
        let permission = Permission::parse(&g.permission).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "unknown stored permission \"{}\"",
                g.permission
            ))
        })?;
        let workflows = g.workflows.map(|w| w.0);
        grants.push(ScopedPermission {
            permission,
            workflows,
        });
    }
    let team_ids: Vec<String> = team_member::Entity::find()
        .filter(team_member::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.team_id)
        .collect();
    let mut teams: Vec<String> = team::Entity::find()
        .filter(team::Column::Id.is_in(team_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.key)
        .collect();
    teams.sort();
    let mut role_names: Vec<String> = roles.into_iter().map(|r| r.key).collect();
    role_names.sort();
    Ok((role_names, teams, grants))
}

/// Builds the principal of an active user, from the database.
pub async fn principal_for(
    db: &impl ConnectionTrait,
    user: &user::Model,
    role_keys: Option<&[String]>,
) -> AppResult<Principal> {
    if !user.active {
        return Err(AppError::Unauthenticated(
            "this account is deactivated".into(),
        ));
    }
    let (roles, teams, grants) = access_of(db, &user.id, role_keys).await?;
    Ok(Principal {
        user_id: user.id.clone(),
        email: user.email.clone(),
        roles,
        teams,
        grants,
    })
}

pub fn claims_of(p: &Principal) -> Claims {
    Claims {
        sub: p.user_id.clone(),
        email: p.email.clone(),
        roles: p.roles.clone(),
        teams: p.teams.clone(),
        perms: p.grants.iter().map(ScopedPermission::to_claim).collect(),
        iss: String::new(),
        aud: String::new(),
        iat: 0,
        exp: 0,
    }
}

pub fn principal_from_claims(c: Claims) -> Principal {
    Principal {
        user_id: c.sub,
        email: c.email,
        roles: c.roles,
        teams: c.teams,
        grants: c
            .perms
            .iter()
            .filter_map(|s| ScopedPermission::from_claim(s))
            .collect(),
    }
}

/// Turns a bearer credential into a principal: an API token (`hnd_...`, looked up by hash) or a
/// session JWT (verified without the database).
pub async fn authenticate(state: &AppState, bearer: &str) -> AppResult<Principal> {
    if let Some(secret) = bearer.strip_prefix(tokens::API_TOKEN_PREFIX) {
        return tokens::authenticate_token(state, secret).await;
    }
    let claims = state.jwt.verify(bearer)?;
    Ok(principal_from_claims(claims))
}

/// A signed-in session.
#[derive(Debug)]
pub struct Session {
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub user: user::Model,
}

/// Checks a password and issues a session token. Unknown email and wrong password answer the
/// same error, so sign-in does not reveal which accounts exist.
pub async fn login(state: &AppState, email: &str, password_text: &str) -> AppResult<Session> {
    let denied = || AppError::Unauthenticated("wrong email or password".into());
    let user = user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(&state.db)
        .await?;
    let Some(user) = user else {
        // Spend the same time as a real check so timing does not reveal unknown emails.
        let _ = password::hash(password_text.to_owned()).await;
        return Err(denied());
    };
    let Some(stored) = user.password_hash.clone() else {
        return Err(denied());
    };
    if !password::verify(password_text.to_owned(), stored).await? {
        return Err(denied());
    }
    let principal = principal_for(&state.db, &user, None).await?;
    let (token, expires_at) = state.jwt.issue(claims_of(&principal), state.clock.now())?;
    Ok(Session {
        token,
        expires_at,
        user,
    })
}
