//! Inbound hooks: URL tokens that let another system create requests of one workflow, each
//! acting as its own `service` user. Creating, listing and revoking them, and resolving a
//! presented token to the hook and the principal it acts as (`http::hooks` does the HTTP part).
//!
//! Only a token's hash is stored; the token and a signed hook's secret are answered once.

use crate::db::enums::UserKind;
use handoff_shared::EventKind;
use handoff_shared::Permission;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::auth::Principal;
use crate::auth::principal::ScopedPermission;
use crate::db::entities::{inbound_hook, user};
use crate::db::{new_id, statement};
use crate::error::{AppError, AppResult};
use crate::integrations::webhook;
use crate::services::{audit, workflows};
use crate::state::AppState;

/// Prefix of inbound hook URL tokens, so a leaked one is recognisable.
pub const HOOK_TOKEN_PREFIX: &str = "hnh_";

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new inbound hook: the URL token and, for a signed hook, the secret, answered once.
#[derive(Debug)]
pub struct NewHook {
    pub hook: inbound_hook::Model,
    pub token: String,
    pub secret: Option<String>,
}

/// Creates an inbound hook for a workflow, with its own `service` user (no password) that
/// submits the hook's requests. Only the token's hash is stored.
pub async fn create_inbound_hook(
    state: &AppState,
    actor: &str,
    workflow: &str,
    name: &str,
    signed: bool,
) -> AppResult<NewHook> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("input.name", "use 1 to 100 characters"));
    }
    if workflows::find(&state.db, workflow, None).await?.is_none() {
        return Err(AppError::invalid(
            "input.workflow",
            format!("no workflow \"{workflow}\""),
        ));
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{HOOK_TOKEN_PREFIX}{}", hex::encode(bytes));
    let secret = signed.then(webhook::generate_secret);
    let now = state.clock.now();
    let hook_id = new_id();
    let txn = state.begin_write().await?;
    let service = user::ActiveModel {
        id: Set(new_id()),
        email: Set(format!("hook-{hook_id}@hooks.handoff.invalid")),
        name: Set(format!("Inbound hook: {name}")),
        password_hash: Set(None),
        manager_id: Set(None),
        active: Set(true),
        kind: Set(UserKind::Service),
        created_at: Set(now),
        credentials_version: Set(1),
        failed_logins: Set(0),
        login_blocked_until: Set(None),
    }
    .insert(&txn)
    .await?;
    let hook = inbound_hook::ActiveModel {
        id: Set(hook_id),
        workflow_key: Set(workflow.to_owned()),
        name: Set(name.to_owned()),
        token_hash: Set(token_hash(&token)),
        secret: Set(secret.clone()),
        service_user_id: Set(service.id.clone()),
        created_at: Set(now),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::system_event(
        &txn,
        Some(actor),
        EventKind::InboundHookCreated,
        now,
        json!({"hook": hook.id, "workflow": workflow, "name": name, "signed": signed,
               "service_user": service.id}),
    )
    .await?;
    txn.commit().await?;
    Ok(NewHook {
        hook,
        token,
        secret,
    })
}

pub async fn list_inbound_hooks(db: &impl ConnectionTrait) -> AppResult<Vec<inbound_hook::Model>> {
    Ok(inbound_hook::Entity::find()
        .order_by_desc(inbound_hook::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Revokes a hook: its token stops working at once and its service user is deactivated.
pub async fn revoke_inbound_hook(
    state: &AppState,
    actor: &str,
    id: &str,
) -> AppResult<inbound_hook::Model> {
    let now = state.clock.now();
    let txn = state.begin_write().await?;
    let res = txn
        .execute_raw(statement(
            &txn,
            "UPDATE inbound_hooks SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2",
            vec![now.into(), id.into()],
        ))
        .await?;
    if res.rows_affected() == 0 {
        return Err(AppError::not_found("inbound hook"));
    }
    let hook = inbound_hook::Entity::find_by_id(id.to_owned())
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("inbound hook"))?;
    user::Entity::update_many()
        .col_expr(user::Column::Active, sea_orm::sea_query::Expr::value(false))
        .filter(user::Column::Id.eq(hook.service_user_id.clone()))
        .exec(&txn)
        .await?;
    audit::system_event(
        &txn,
        Some(actor),
        EventKind::InboundHookRevoked,
        now,
        json!({"hook": hook.id}),
    )
    .await?;
    txn.commit().await?;
    Ok(hook)
}

/// The live hook a URL token names, if any (revoked hooks never match).
pub async fn hook_by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> AppResult<Option<inbound_hook::Model>> {
    Ok(inbound_hook::Entity::find()
        .filter(inbound_hook::Column::TokenHash.eq(token_hash(token)))
        .filter(inbound_hook::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

/// The principal a hook acts as: its service user, allowed to submit its workflow only.
pub async fn hook_principal(
    db: &impl ConnectionTrait,
    hook: &inbound_hook::Model,
) -> AppResult<Principal> {
    let service = user::Entity::find_by_id(hook.service_user_id.clone())
        .one(db)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| AppError::Unauthenticated("this hook is revoked".into()))?;
    Ok(Principal {
        user_id: service.id,
        email: service.email,
        roles: vec![],
        teams: vec![],
        grants: vec![ScopedPermission {
            permission: Permission::RequestSubmit,
            workflows: Some(vec![hook.workflow_key.clone()]),
        }],
        session: None,
    })
}
