//! Roles and their permission grants: creating, editing and deleting roles, listing them with
//! their grants, and the batch look-ups that resolve role keys (for memberships, tokens,
//! approvers and notifications).
//!
//! Built-in roles can be edited but never deleted: the demo data, the first admin and the
//! documentation all name them.

use crate::db::json::StringList;
use handoff_shared::EventKind;
use std::collections::HashMap;

use handoff_shared::Permission;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::db::entities::{role, role_permission, user_role};
use crate::db::new_id;
use crate::error::{AppError, AppResult, Duplicate, OnDuplicate};
use crate::services::{audit, check_key};
use crate::state::AppState;

use super::signin::end_credentials;

/// A permission grant as admins write it.
#[derive(Debug, Clone)]
pub struct GrantInput {
    pub permission: String,
    pub workflows: Option<Vec<String>>,
}

/// A role and its grants, for the admin API.
#[derive(Debug, Clone)]
pub struct RoleWithGrants {
    pub role: role::Model,
    pub grants: Vec<role_permission::Model>,
}

/// Inserts a role and its grants (without an audit event: the caller writes the one that fits,
/// or none for the built-in roles made at start).
pub(super) async fn insert_role(
    db: &impl ConnectionTrait,
    key: &str,
    name: &str,
    builtin: bool,
    grants: Vec<GrantInput>,
) -> AppResult<role::Model> {
    let model = role::ActiveModel {
        id: Set(new_id()),
        key: Set(key.to_owned()),
        name: Set(name.to_owned()),
        builtin: Set(builtin),
        created_at: Set(crate::db::now()),
    }
    .insert(db)
    .await
    .on_duplicate(Duplicate::Field {
        path: "input.key",
        message: "a role with this key exists",
    })?;
    write_grants(db, &model.id, grants).await?;
    Ok(model)
}

/// Replaces a role's grants. Every permission is checked before anything is written, so one
/// misspelt permission reports all of them and changes nothing.
async fn write_grants(
    db: &impl ConnectionTrait,
    role_id: &str,
    grants: Vec<GrantInput>,
) -> AppResult<()> {
    let mut problems = Vec::new();
    for (i, g) in grants.iter().enumerate() {
        if Permission::parse(&g.permission).is_none() {
            problems.push(handoff_shared::Problem {
                path: format!("input.permissions[{i}].permission"),
                message: format!("unknown permission \"{}\"", g.permission),
            });
        }
    }
    if !problems.is_empty() {
        return Err(AppError::invalid_all(problems));
    }
    role_permission::Entity::delete_many()
        .filter(role_permission::Column::RoleId.eq(role_id))
        .exec(db)
        .await?;
    for g in grants {
        role_permission::ActiveModel {
            id: Set(new_id()),
            role_id: Set(role_id.to_owned()),
            permission: Set(g.permission),
            workflows: Set(g.workflows.map(StringList)),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Whether `new` grants everything `old` did: each old grant is held by a new grant of the
/// same permission for all workflows or for a superset of its workflows.
fn covers(new: &[role_permission::Model], old: &[role_permission::Model]) -> bool {
    old.iter().all(|o| {
        let same: Vec<_> = new
            .iter()
            .filter(|n| n.permission == o.permission)
            .collect();
        if same.iter().any(|n| n.workflows.is_none()) {
            return true;
        }
        match &o.workflows {
            None => false,
            Some(wanted) => wanted.0.iter().all(|w| {
                same.iter()
                    .any(|n| n.workflows.as_ref().is_some_and(|l| l.0.contains(w)))
            }),
        }
    })
}

async fn grants_of(
    db: &impl ConnectionTrait,
    role_id: &str,
) -> AppResult<Vec<role_permission::Model>> {
    Ok(role_permission::Entity::find()
        .filter(role_permission::Column::RoleId.eq(role_id))
        .all(db)
        .await?)
}

async fn holders(db: &impl ConnectionTrait, role_id: &str) -> AppResult<Vec<String>> {
    Ok(user_role::Entity::find()
        .filter(user_role::Column::RoleId.eq(role_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.user_id)
        .collect())
}

/// The ids of roles named by key; an unknown key is a validation problem at `path`.
pub(super) async fn role_ids(
    db: &impl ConnectionTrait,
    keys: &[String],
    path: &str,
) -> AppResult<Vec<String>> {
    let found = role::Entity::find()
        .filter(role::Column::Key.is_in(keys.iter().cloned()))
        .all(db)
        .await?;
    let missing: Vec<_> = keys
        .iter()
        .filter(|k| !found.iter().any(|r| &r.key == *k))
        .collect();
    if let Some(k) = missing.first() {
        return Err(AppError::invalid(path, format!("unknown role \"{k}\"")));
    }
    Ok(found.into_iter().map(|r| r.id).collect())
}

pub async fn create_role(
    state: &AppState,
    actor: Option<&str>,
    key: &str,
    name: &str,
    grants: Vec<GrantInput>,
) -> AppResult<role::Model> {
    check_key("input.key", key)?;
    let now = state.clock.now();
    let txn = state.begin_write().await?;
    let summary: Vec<String> = grants.iter().map(|g| g.permission.clone()).collect();
    let model = insert_role(&txn, key, name, false, grants).await?;
    audit::system_event(
        &txn,
        actor,
        EventKind::RoleCreated,
        now,
        json!({"role": key, "permissions": summary}),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// The role with this key; `NOT_FOUND` when there is none.
async fn role_by_key(db: &impl ConnectionTrait, key: &str) -> AppResult<role::Model> {
    role::Entity::find()
        .filter(role::Column::Key.eq(key))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("role \"{key}\"")))
}

pub async fn update_role(
    state: &AppState,
    actor: &str,
    key: &str,
    name: Option<String>,
    grants: Option<Vec<GrantInput>>,
) -> AppResult<role::Model> {
    let txn = state.begin_write().await?;
    let existing = role_by_key(&txn, key).await?;
    let mut active: role::ActiveModel = existing.clone().into();
    if let Some(n) = &name {
        active.name = Set(n.clone());
    }
    let model = active.update(&txn).await?;
    let summary: Option<Vec<String>> = grants
        .as_ref()
        .map(|g| g.iter().map(|g| g.permission.clone()).collect());
    let mut reduced = false;
    if let Some(g) = grants {
        let before = grants_of(&txn, &model.id).await?;
        write_grants(&txn, &model.id, g).await?;
        reduced = !covers(&grants_of(&txn, &model.id).await?, &before);
    }
    if reduced {
        // Taking a grant away ends the sessions and tokens of everyone holding the role.
        end_credentials(&txn, &holders(&txn, &model.id).await?).await?;
    }
    audit::system_event(
        &txn,
        Some(actor),
        EventKind::RoleUpdated,
        state.clock.now(),
        json!({"role": key, "name": name, "permissions": summary}),
    )
    .await?;
    txn.commit().await?;
    state.sessions.forget_all();
    Ok(model)
}

pub async fn delete_role(state: &AppState, actor: &str, key: &str) -> AppResult<()> {
    let txn = state.begin_write().await?;
    let existing = role_by_key(&txn, key).await?;
    if existing.builtin {
        return Err(AppError::invalid(
            "key",
            "built-in roles can be edited but not deleted",
        ));
    }
    end_credentials(&txn, &holders(&txn, &existing.id).await?).await?;
    role_permission::Entity::delete_many()
        .filter(role_permission::Column::RoleId.eq(&existing.id))
        .exec(&txn)
        .await?;
    user_role::Entity::delete_many()
        .filter(user_role::Column::RoleId.eq(&existing.id))
        .exec(&txn)
        .await?;
    role::Entity::delete_by_id(existing.id.clone())
        .exec(&txn)
        .await?;
    audit::system_event(
        &txn,
        Some(actor),
        EventKind::RoleDeleted,
        state.clock.now(),
        json!({"role": key}),
    )
    .await?;
    txn.commit().await?;
    state.sessions.forget_all();
    Ok(())
}

pub async fn list_roles(db: &impl ConnectionTrait) -> AppResult<Vec<RoleWithGrants>> {
    let roles = role::Entity::find()
        .order_by_asc(role::Column::Key)
        .all(db)
        .await?;
    let grants = role_permission::Entity::find().all(db).await?;
    let mut by_role: HashMap<String, Vec<role_permission::Model>> = HashMap::new();
    for g in grants {
        by_role.entry(g.role_id.clone()).or_default().push(g);
    }
    Ok(roles
        .into_iter()
        .map(|role| {
            let mut grants = by_role.remove(&role.id).unwrap_or_default();
            grants.sort_by(|a, b| a.permission.cmp(&b.permission));
            RoleWithGrants { role, grants }
        })
        .collect())
}

/// Role keys of many users at once (one query per table, for DataLoaders).
pub async fn roles_of_users(
    db: &impl ConnectionTrait,
    user_ids: &[String],
) -> AppResult<HashMap<String, Vec<String>>> {
    let links = user_role::Entity::find()
        .filter(user_role::Column::UserId.is_in(user_ids.iter().cloned()))
        .all(db)
        .await?;
    let roles = role::Entity::find().all(db).await?;
    let key_of: HashMap<_, _> = roles.into_iter().map(|r| (r.id, r.key)).collect();
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for l in links {
        if let Some(k) = key_of.get(&l.role_id) {
            out.entry(l.user_id).or_default().push(k.clone());
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    Ok(out)
}

/// Active user ids holding a role.
pub async fn users_with_role(db: &impl ConnectionTrait, role_key: &str) -> AppResult<Vec<String>> {
    let Some(role) = role::Entity::find()
        .filter(role::Column::Key.eq(role_key))
        .one(db)
        .await?
    else {
        return Ok(vec![]);
    };
    Ok(user_role::Entity::find()
        .filter(user_role::Column::RoleId.eq(role.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.user_id)
        .collect())
}
