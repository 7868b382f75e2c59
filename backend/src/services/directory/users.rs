//! People: creating and updating users (with their roles, teams and manager in the same
//! transaction), listing them, and finding one by email.
//!
//! Emails are stored trimmed and lower-cased, so look-ups and the unique index agree on what
//! counts as the same address.

use crate::db::enums::UserKind;
use handoff_shared::EventKind;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::auth::password;
use crate::db::entities::{team_member, user, user_role};
use crate::db::new_id;
use crate::error::{AppError, AppResult, Duplicate, OnDuplicate};
use crate::services::audit;
use crate::state::AppState;

use super::roles::role_ids;
use super::signin::end_credentials;
use super::teams::team_ids;

/// What `createUser` and the CLI take.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password: Option<String>,
    pub roles: Vec<String>,
    pub teams: Vec<String>,
    pub manager: Option<String>,
}

/// What `updateUser` may change; `None` leaves a property as it is.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub id: String,
    pub name: Option<String>,
    pub password: Option<String>,
    pub roles: Option<Vec<String>>,
    pub teams: Option<Vec<String>>,
    /// `Some(None)` clears the manager.
    pub manager: Option<Option<String>>,
    pub active: Option<bool>,
}

fn check_email(email: &str) -> AppResult<String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'));
    if valid {
        Ok(email)
    } else {
        Err(AppError::invalid(
            "input.email",
            "not a valid email address",
        ))
    }
}

/// Hashes a new password after checking it against the policy (`auth::password`). Hashing
/// happens before the transaction opens: argon2 takes tens of milliseconds, and a transaction
/// should not wait on it.
async fn new_password_hash(
    password_text: Option<String>,
    email: &str,
) -> AppResult<Option<String>> {
    match password_text {
        Some(p) => {
            password::check_policy(&p, email)
                .map_err(|message| AppError::invalid("input.password", message))?;
            Ok(Some(password::hash(p).await?))
        }
        None => Ok(None),
    }
}

async fn user_by_email(db: &impl ConnectionTrait, email: &str) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?)
}

async fn manager_id(db: &impl ConnectionTrait, manager: Option<&str>) -> AppResult<Option<String>> {
    match manager {
        None => Ok(None),
        Some(email) => user_by_email(db, email)
            .await?
            .map(|u| Some(u.id))
            .ok_or_else(|| {
                AppError::invalid("input.manager", format!("no user with email \"{email}\""))
            }),
    }
}

/// Creates a user with roles, teams and a manager, all in one transaction.
pub async fn create_user(
    state: &AppState,
    actor: Option<&str>,
    input: NewUser,
) -> AppResult<user::Model> {
    let email = check_email(&input.email)?;
    if input.name.trim().is_empty() {
        return Err(AppError::invalid("input.name", "is required"));
    }
    let hash = new_password_hash(input.password, &email).await?;
    let now = state.clock.now();
    let txn = state.begin_write().await?;
    let roles = role_ids(&txn, &input.roles, "input.roles").await?;
    let teams = team_ids(&txn, &input.teams, "input.teams").await?;
    let manager_id = manager_id(&txn, input.manager.as_deref()).await?;
    let model = user::ActiveModel {
        id: Set(new_id()),
        email: Set(email.clone()),
        name: Set(input.name.trim().to_owned()),
        password_hash: Set(hash),
        manager_id: Set(manager_id),
        active: Set(true),
        kind: Set(UserKind::Person),
        created_at: Set(now),
        credentials_version: Set(1),
        failed_logins: Set(0),
        login_blocked_until: Set(None),
    }
    .insert(&txn)
    .await
    .on_duplicate(Duplicate::Field {
        path: "input.email",
        message: "a user with this email exists",
    })?;
    set_memberships(&txn, &model.id, Some(roles), Some(teams)).await?;
    audit::system_event(
        &txn,
        actor,
        EventKind::UserCreated,
        now,
        json!({"user": model.id, "email": email, "roles": input.roles, "teams": input.teams}),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Replaces a user's role and team memberships; `None` leaves that kind as it is.
async fn set_memberships(
    db: &impl ConnectionTrait,
    user_id: &str,
    roles: Option<Vec<String>>,
    teams: Option<Vec<String>>,
) -> AppResult<()> {
    if let Some(roles) = roles {
        user_role::Entity::delete_many()
            .filter(user_role::Column::UserId.eq(user_id))
            .exec(db)
            .await?;
        for role_id in roles {
            user_role::ActiveModel {
                user_id: Set(user_id.to_owned()),
                role_id: Set(role_id),
            }
            .insert(db)
            .await?;
        }
    }
    if let Some(teams) = teams {
        team_member::Entity::delete_many()
            .filter(team_member::Column::UserId.eq(user_id))
            .exec(db)
            .await?;
        for team_id in teams {
            team_member::ActiveModel {
                team_id: Set(team_id),
                user_id: Set(user_id.to_owned()),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

pub async fn update_user(
    state: &AppState,
    actor: &str,
    input: UserUpdate,
) -> AppResult<user::Model> {
    let email = user::Entity::find_by_id(input.id.clone())
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?
        .email;
    let hash = new_password_hash(input.password.clone(), &email).await?;
    let txn = state.begin_write().await?;
    let existing = user::Entity::find_by_id(input.id.clone())
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    let roles_before: Vec<String> = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(&existing.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|l| l.role_id)
        .collect();
    let roles = match &input.roles {
        Some(r) => Some(role_ids(&txn, r, "input.roles").await?),
        None => None,
    };
    let teams = match &input.teams {
        Some(t) => Some(team_ids(&txn, t, "input.teams").await?),
        None => None,
    };
    let mut active: user::ActiveModel = existing.clone().into();
    if let Some(name) = &input.name {
        if name.trim().is_empty() {
            return Err(AppError::invalid("input.name", "is required"));
        }
        active.name = Set(name.trim().to_owned());
    }
    let password_changed = hash.is_some();
    if let Some(h) = hash {
        active.password_hash = Set(Some(h));
        // A new password also lifts a sign-in lock.
        active.failed_logins = Set(0);
        active.login_blocked_until = Set(None);
    }
    if let Some(manager) = &input.manager {
        let id = manager_id(&txn, manager.as_deref()).await?;
        if id.as_deref() == Some(existing.id.as_str()) {
            return Err(AppError::invalid(
                "input.manager",
                "a user cannot be their own manager",
            ));
        }
        active.manager_id = Set(id);
    }
    if let Some(a) = input.active {
        active.active = Set(a);
    }
    let deactivated = existing.active && input.active == Some(false);
    let demoted = roles
        .as_ref()
        .is_some_and(|after| roles_before.iter().any(|r| !after.contains(r)));
    let model = active.update(&txn).await?;
    set_memberships(&txn, &model.id, roles, teams).await?;
    if password_changed || deactivated || demoted {
        end_credentials(&txn, std::slice::from_ref(&model.id)).await?;
    }
    audit::system_event(&txn, Some(actor), EventKind::UserUpdated, state.clock.now(), json!({
                "user": model.id, "name": input.name, "roles": input.roles, "teams": input.teams,
                "manager": input.manager, "active": input.active, "password_changed": input.password.is_some(),
            }))
    .await?;
    txn.commit().await?;
    state.sessions.forget_all();
    Ok(model)
}

pub async fn list_users(db: &impl ConnectionTrait) -> AppResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?)
}

pub async fn find_user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> AppResult<Option<user::Model>> {
    user_by_email(db, email).await
}
