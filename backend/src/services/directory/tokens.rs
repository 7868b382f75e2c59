//! API tokens for scripts: creating one (the secret is answered once and only its hash is
//! stored), revoking, listing, and resolving a presented secret to the principal it acts as.
//!
//! A token carries a subset of its creator's roles, never more, and at every use acts with
//! only those of them its owner still holds, so a leaked token can do no more than the person
//! who made it can do now. A token dies with its owner's credentials version (deactivation,
//! demotion, password change).

use crate::db::json::StringList;
use handoff_shared::EventKind;
use std::collections::BTreeSet;

use handoff_shared::Permission;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::auth::Principal;
use crate::db::entities::{api_token, user};
use crate::db::new_id;
use crate::error::{AppError, AppResult};
use crate::services::audit;
use crate::state::AppState;

use super::roles::role_ids;
use super::signin::principal_for;

/// Prefix of API token secrets, so a leaked one is recognisable in logs and scanners.
pub const API_TOKEN_PREFIX: &str = "hnd_";

fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// How stale `last_used_at` may get before a use writes it again: one write a minute, not one
/// per call.
const LAST_USED_PRECISION: chrono::Duration = chrono::Duration::minutes(1);

/// The principal of an API token's secret (the part after `hnd_`): the token's roles that its
/// owner still holds. Records when the token was last used, so admins can spot unused ones.
pub(super) async fn authenticate_token(state: &AppState, secret: &str) -> AppResult<Principal> {
    let token = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_hash(secret)))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("unknown API token".into()))?;
    if token.revoked_at.is_some() {
        return Err(AppError::Unauthenticated(
            "this API token was revoked".into(),
        ));
    }
    let user = user::Entity::find_by_id(token.user_id.clone())
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("the token's user no longer exists".into()))?;
    if user.credentials_version != token.credentials_version {
        return Err(AppError::Unauthenticated(
            "this API token ended when its owner's access changed; create a new one".into(),
        ));
    }
    let roles: Vec<String> = token.roles.0.clone();
    let now = state.clock.now();
    if token
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USED_PRECISION)
    {
        let mut active: api_token::ActiveModel = token.into();
        active.last_used_at = Set(Some(now));
        active.update(&state.db).await?;
    }
    principal_for(&state.db, &user, Some(&roles)).await
}

/// A new API token: the secret is answered once and never stored.
#[derive(Debug)]
pub struct NewApiToken {
    pub token: api_token::Model,
    pub secret: String,
}

/// Creates an API token acting as `owner` with `roles`. A token may only carry roles its
/// creator holds, so a token never has more power than the person who made it.
pub async fn create_api_token(
    state: &AppState,
    owner: &Principal,
    name: &str,
    roles: Vec<String>,
) -> AppResult<NewApiToken> {
    if name.trim().is_empty() {
        return Err(AppError::invalid("input.name", "is required"));
    }
    if roles.is_empty() {
        return Err(AppError::invalid("input.roles", "name at least one role"));
    }
    if let Some(r) = roles.iter().find(|r| !owner.has_role(r)) {
        return Err(AppError::invalid(
            "input.roles",
            format!("you do not hold the role \"{r}\""),
        ));
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret_body = hex::encode(bytes);
    let now = state.clock.now();
    let txn = state.begin_write().await?;
    role_ids(&txn, &roles, "input.roles").await?;
    let owner_version = user::Entity::find_by_id(owner.user_id.clone())
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("your account no longer exists".into()))?
        .credentials_version;
    let unique_roles: BTreeSet<String> = roles.into_iter().collect();
    let token = api_token::ActiveModel {
        id: Set(new_id()),
        name: Set(name.trim().to_owned()),
        user_id: Set(owner.user_id.clone()),
        token_hash: Set(token_hash(&secret_body)),
        roles: Set(StringList(unique_roles.iter().cloned().collect())),
        created_at: Set(now),
        revoked_at: Set(None),
        last_used_at: Set(None),
        credentials_version: Set(owner_version),
    }
    .insert(&txn)
    .await?;
    audit::system_event(
        &txn,
        Some(&owner.user_id),
        EventKind::ApiTokenCreated,
        now,
        json!({"token": token.id, "name": token.name, "roles": unique_roles}),
    )
    .await?;
    txn.commit().await?;
    Ok(NewApiToken {
        token,
        secret: format!("{API_TOKEN_PREFIX}{secret_body}"),
    })
}

/// Revokes a token. Its owner or a user manager may revoke it.
pub async fn revoke_api_token(
    state: &AppState,
    actor: &Principal,
    id: &str,
) -> AppResult<api_token::Model> {
    let txn = state.begin_write().await?;
    let token = api_token::Entity::find_by_id(id.to_owned())
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("API token"))?;
    if token.user_id != actor.user_id && !actor.can_any(Permission::UserManage) {
        return Err(AppError::not_found("API token"));
    }
    let now = state.clock.now();
    let mut active: api_token::ActiveModel = token.into();
    active.revoked_at = Set(Some(now));
    let token = active.update(&txn).await?;
    audit::system_event(
        &txn,
        Some(&actor.user_id),
        EventKind::ApiTokenRevoked,
        now,
        json!({"token": token.id}),
    )
    .await?;
    txn.commit().await?;
    Ok(token)
}

pub async fn list_api_tokens(
    db: &impl ConnectionTrait,
    actor: &Principal,
) -> AppResult<Vec<api_token::Model>> {
    let mut q = api_token::Entity::find().order_by_desc(api_token::Column::CreatedAt);
    if !actor.can_any(Permission::UserManage) {
        q = q.filter(api_token::Column::UserId.eq(&actor.user_id));
    }
    Ok(q.all(db).await?)
}
