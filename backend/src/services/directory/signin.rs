//! Sign-in and credentials: checking a password (throttled per client and per account) and
//! starting a session, turning a bearer credential (session JWT or API token) into a
//! `Principal`, ending sessions, and building a principal's roles, teams and grants.
//!
//! # The session model
//!
//! A session is a row in `sessions`; its JWT names the row (`sid`), the user and the user's
//! credentials version at sign-in (`ver`). Every use checks, through a cache of a few seconds
//! (`AppState::sessions`), that the row is neither revoked nor expired, that the user is
//! active and that their credentials version has not moved, then acts with the user's roles
//! as they are now. Deactivation, losing a role or a grant, and a password change raise the
//! version ([`end_credentials`]), which ends every session and API token of the user at once
//! in this process, and within the cache's lifetime in another. Signing out revokes the row.

use chrono::{DateTime, Utc};
use handoff_shared::Permission;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use std::net::IpAddr;

use crate::auth::principal::ScopedPermission;
use crate::auth::throttle::{LOCK_AFTER, account_delay};
use crate::auth::{Claims, Principal, password};
use crate::db::entities::{role, role_permission, session, team, team_member, user, user_role};
use crate::db::new_id;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

use super::tokens;

/// The roles, teams and grants of a user, limited to `role_keys` when given (an API token's).
async fn access_of(
    db: &impl ConnectionTrait,
    user_id: &str,
    role_keys: Option<&[String]>,
) -> AppResult<(Vec<String>, Vec<String>, Vec<ScopedPermission>)> {
    let ids: Vec<String> = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.role_id)
        .collect();
    let mut query = role::Entity::find().filter(role::Column::Id.is_in(ids));
    if let Some(keys) = role_keys {
        // The user's current roles, intersected with the token's: a token never acts with a
        // role its owner has lost.
        query = query.filter(role::Column::Key.is_in(keys.iter().cloned()));
    }
    let roles: Vec<role::Model> = query.all(db).await?;
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

/// Builds the principal of an active user from the database, with at most `role_keys` of the
/// user's current roles when given.
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
        session: None,
    })
}

/// Turns a bearer credential into a principal: an API token (`hnd_...`, looked up by hash) or a
/// session JWT (checked against its session row, through the cache).
pub async fn authenticate(state: &AppState, bearer: &str) -> AppResult<Principal> {
    if let Some(secret) = bearer.strip_prefix(tokens::API_TOKEN_PREFIX) {
        return tokens::authenticate_token(state, secret).await;
    }
    let claims = state.jwt.verify(bearer)?;
    if let Some(principal) = state.sessions.get(&claims.sid)
        && principal.user_id == claims.sub
    {
        return Ok(principal);
    }
    let ended = |why: &str| AppError::Unauthenticated(format!("{why}; sign in again"));
    let row = session::Entity::find_by_id(claims.sid.clone())
        .one(&state.db)
        .await?
        .filter(|s| s.user_id == claims.sub && s.credentials_version == claims.ver)
        .ok_or_else(|| ended("this session does not exist"))?;
    if row.revoked_at.is_some() {
        return Err(ended("this session was signed out"));
    }
    if row.expires_at <= crate::db::now() {
        return Err(ended("this session has expired"));
    }
    let user = user::Entity::find_by_id(row.user_id.clone())
        .one(&state.db)
        .await?
        .filter(|u| u.active && u.credentials_version == row.credentials_version)
        .ok_or_else(|| ended("this session has ended: the account or its access changed"))?;
    let mut principal = principal_for(&state.db, &user, None).await?;
    principal.session = Some(row.id);
    state.sessions.insert(claims.sid, principal.clone());
    Ok(principal)
}

/// A signed-in session.
#[derive(Debug)]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: user::Model,
}

/// Checks a password and starts a session.
///
/// Unknown email, wrong password and deactivated account answer the same error after the same
/// work, so sign-in reveals neither which accounts exist nor a deactivated account's password.
/// A client address or an account that failed too often is refused `RATE_LIMITED` before any
/// password is checked, so the right password does not get through a throttle either.
pub async fn login(
    state: &AppState,
    client: Option<IpAddr>,
    email: &str,
    password_text: &str,
) -> AppResult<Session> {
    let denied = || AppError::Unauthenticated("wrong email or password".into());
    state.signin_throttle.admit(client)?;
    let now = state.clock.now();
    let user = user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(&state.db)
        .await?;
    if let Some(user) = &user {
        account_admits(user, now)?;
    }
    let stored = user
        .as_ref()
        .filter(|u| u.active)
        .and_then(|u| u.password_hash.clone());
    let matched = password::verify(password_text.to_owned(), stored).await?;
    let user = match user {
        Some(user) if matched => user,
        other => {
            state.signin_throttle.failed(client);
            if let Some(user) = other {
                record_failure(&state.db, &user, now).await?;
            }
            return Err(denied());
        }
    };
    if user.failed_logins > 0 {
        user::Entity::update_many()
            .col_expr(user::Column::FailedLogins, Expr::value(0))
            .col_expr(
                user::Column::LoginBlockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(user::Column::Id.eq(&user.id))
            .exec(&state.db)
            .await?;
    }
    start_session(state, user).await
}

/// Refuses an account that failed too often: locked after [`LOCK_AFTER`] failures, delayed
/// after a few.
fn account_admits(user: &user::Model, now: DateTime<Utc>) -> AppResult<()> {
    if user.failed_logins >= LOCK_AFTER {
        return Err(AppError::rate_limited(
            format!(
                "sign-in is locked after {LOCK_AFTER} failed attempts; an administrator must \
                 set a new password"
            ),
            3600,
        ));
    }
    match user.login_blocked_until {
        Some(until) if until > now => Err(AppError::rate_limited(
            "too many failed sign-ins for this account; wait before trying again",
            u64::try_from((until - now).num_seconds() + 1).unwrap_or(1),
        )),
        _ => Ok(()),
    }
}

/// Counts a failed sign-in on the account and sets when the next attempt may come, in one
/// statement. The count is incremented in the database, so concurrent failures all count; the
/// delay follows the count this sign-in read.
async fn record_failure(
    db: &impl ConnectionTrait,
    user: &user::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut update = user::Entity::update_many().col_expr(
        user::Column::FailedLogins,
        Expr::col(user::Column::FailedLogins).add(1),
    );
    if let Some(delay) = account_delay(user.failed_logins + 1) {
        update = update.col_expr(user::Column::LoginBlockedUntil, Expr::value(now + delay));
    }
    update
        .filter(user::Column::Id.eq(&user.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Starts a session for `user`: its row, then its JWT. Session times are the wall clock's, not
/// `AppState::clock`'s, because the JWT's `exp` and `nbf` are checked against the wall clock.
async fn start_session(state: &AppState, user: user::Model) -> AppResult<Session> {
    let now = crate::db::now();
    let expires_at = now + state.jwt.ttl;
    let row = session::ActiveModel {
        id: Set(new_id()),
        user_id: Set(user.id.clone()),
        credentials_version: Set(user.credentials_version),
        created_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
    }
    .insert(&state.db)
    .await?;
    let claims = Claims::session(&user.id, &row.id, user.credentials_version);
    let token = state.jwt.issue(claims, now, expires_at)?;
    Ok(Session {
        token,
        expires_at,
        user,
    })
}

/// Signs a session out: its row is revoked, so its JWT stops working at once.
pub async fn logout(state: &AppState, principal: &Principal) -> AppResult<()> {
    let Some(id) = &principal.session else {
        return Err(AppError::invalid(
            "authorization",
            "only a signed-in session can sign out; revoke an API token with revokeApiToken",
        ));
    };
    session::Entity::update_many()
        .col_expr(
            session::Column::RevokedAt,
            Expr::value(Some(crate::db::now())),
        )
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(&state.db)
        .await?;
    state.sessions.forget_all();
    Ok(())
}

/// Ends every session and API token of `user_ids` by raising their credentials version. Call
/// inside the transaction that deactivates, demotes or changes a password, and empty the
/// session cache (`AppState::sessions`) after it commits.
pub async fn end_credentials(db: &impl ConnectionTrait, user_ids: &[String]) -> AppResult<()> {
    if user_ids.is_empty() {
        return Ok(());
    }
    user::Entity::update_many()
        .col_expr(
            user::Column::CredentialsVersion,
            Expr::col(user::Column::CredentialsVersion).add(1),
        )
        .filter(user::Column::Id.is_in(user_ids.iter().cloned()))
        .exec(db)
        .await?;
    Ok(())
}
