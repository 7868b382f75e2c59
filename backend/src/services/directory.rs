//! People and access: users, teams, roles with scoped permissions, API tokens, sign-in, and
//! turning a credential into a `Principal`. Administrative changes are audited on the system
//! stream in the same transaction.

use std::collections::{BTreeSet, HashMap};

use handoff_shared::{Permission, builtin_roles};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::auth::principal::ScopedPermission;
use crate::auth::{Claims, Principal, password};
use crate::db::entities::{api_token, role, role_permission, team, team_member, user, user_role};
use crate::db::{is_unique_violation, new_id};
use crate::error::{AppError, AppResult};
use crate::services::audit;
use crate::state::AppState;

/// Prefix of API token secrets, so a leaked one is recognisable in logs and scanners.
pub const API_TOKEN_PREFIX: &str = "hnd_";

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
        let Some(permission) = Permission::parse(&g.permission) else {
            continue;
        };
        let workflows = match g.workflows {
            Some(w) => Some(serde_json::from_str::<Vec<String>>(&w)?),
            None => None,
        };
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
    if let Some(secret) = bearer.strip_prefix(API_TOKEN_PREFIX) {
        let hash = token_hash(secret);
        let token = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(hash))
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
        let roles: Vec<String> = serde_json::from_str(&token.roles)?;
        let mut active: api_token::ActiveModel = token.into();
        active.last_used_at = Set(Some(state.clock.now()));
        active.update(&state.db).await?;
        return principal_for(&state.db, &user, Some(&roles)).await;
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

fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates the built-in roles when missing (they are editable, never deleted).
pub async fn ensure_builtin_roles(db: &DatabaseConnection) -> AppResult<()> {
    for builtin in builtin_roles() {
        let exists = role::Entity::find()
            .filter(role::Column::Key.eq(builtin.key))
            .one(db)
            .await?;
        if exists.is_some() {
            continue;
        }
        let grants = builtin
            .grants
            .iter()
            .map(|g| GrantInput {
                permission: g.permission.as_str().to_owned(),
                workflows: g.workflows.clone(),
            })
            .collect();
        let txn = db.begin().await?;
        insert_role(&txn, builtin.key, builtin.name, true, grants).await?;
        txn.commit().await?;
    }
    Ok(())
}

/// A permission grant as admins write it.
#[derive(Debug, Clone)]
pub struct GrantInput {
    pub permission: String,
    pub workflows: Option<Vec<String>>,
}

fn check_key(path: &str, key: &str) -> AppResult<()> {
    let ok = !key.is_empty()
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(path, "use 1 to 64 of a-z, 0-9 and -"))
    }
}

async fn insert_role(
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
    .map_err(|e| duplicate_or(e, "input.key", "a role with this key exists"))?;
    write_grants(db, &model.id, grants).await?;
    Ok(model)
}

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
            workflows: Set(g.workflows.map(|w| serde_json::to_string(&w)).transpose()?),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

fn duplicate_or(e: sea_orm::DbErr, path: &str, message: &str) -> AppError {
    if is_unique_violation(&e) {
        AppError::Validation {
            message: message.to_owned(),
            problems: vec![handoff_shared::Problem {
                path: path.to_owned(),
                message: message.to_owned(),
            }],
        }
    } else {
        e.into()
    }
}

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

/// Minimum password length; longer passphrases are welcome, nothing else is imposed (NIST 800-63B).
pub const MIN_PASSWORD_LEN: usize = 8;

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

async fn role_ids(
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

async fn team_ids(
    db: &impl ConnectionTrait,
    keys: &[String],
    path: &str,
) -> AppResult<Vec<String>> {
    let found = team::Entity::find()
        .filter(team::Column::Key.is_in(keys.iter().cloned()))
        .all(db)
        .await?;
    if let Some(k) = keys.iter().find(|k| !found.iter().any(|t| &t.key == *k)) {
        return Err(AppError::invalid(path, format!("unknown team \"{k}\"")));
    }
    Ok(found.into_iter().map(|t| t.id).collect())
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
    let hash = match input.password {
        Some(p) if p.chars().count() < MIN_PASSWORD_LEN => {
            return Err(AppError::invalid(
                "input.password",
                format!("use at least {MIN_PASSWORD_LEN} characters"),
            ));
        }
        Some(p) => Some(password::hash(p).await?),
        None => None,
    };
    let now = state.clock.now();
    let txn = state.db.begin().await?;
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
        kind: Set("person".into()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| duplicate_or(e, "input.email", "a user with this email exists"))?;
    set_memberships(&txn, &model.id, Some(roles), Some(teams)).await?;
    audit::system_event(
        &txn,
        actor,
        "user_created",
        now,
        json!({"user": model.id, "email": email, "roles": input.roles, "teams": input.teams}),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

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

pub async fn update_user(
    state: &AppState,
    actor: &str,
    input: UserUpdate,
) -> AppResult<user::Model> {
    let hash = match input.password.clone() {
        Some(p) if p.chars().count() < MIN_PASSWORD_LEN => {
            return Err(AppError::invalid(
                "input.password",
                format!("use at least {MIN_PASSWORD_LEN} characters"),
            ));
        }
        Some(p) => Some(password::hash(p).await?),
        None => None,
    };
    let txn = state.db.begin().await?;
    let existing = user::Entity::find_by_id(input.id.clone())
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
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
    if let Some(h) = hash {
        active.password_hash = Set(Some(h));
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
    let model = active.update(&txn).await?;
    set_memberships(&txn, &model.id, roles, teams).await?;
    audit::system_event(&txn, Some(actor), "user_updated", state.clock.now(), json!({
                "user": model.id, "name": input.name, "roles": input.roles, "teams": input.teams,
                "manager": input.manager, "active": input.active, "password_changed": input.password.is_some(),
            }))
    .await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn create_team(
    state: &AppState,
    actor: Option<&str>,
    key: &str,
    name: &str,
) -> AppResult<team::Model> {
    check_key("input.key", key)?;
    if name.trim().is_empty() {
        return Err(AppError::invalid("input.name", "is required"));
    }
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let model = team::ActiveModel {
        id: Set(new_id()),
        key: Set(key.to_owned()),
        name: Set(name.trim().to_owned()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| duplicate_or(e, "input.key", "a team with this key exists"))?;
    audit::system_event(
        &txn,
        actor,
        "team_created",
        now,
        json!({"team": key, "name": name}),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn update_team(
    state: &AppState,
    actor: &str,
    key: &str,
    name: &str,
) -> AppResult<team::Model> {
    if name.trim().is_empty() {
        return Err(AppError::invalid("input.name", "is required"));
    }
    let txn = state.db.begin().await?;
    let existing = team::Entity::find()
        .filter(team::Column::Key.eq(key))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found(format!("team \"{key}\"")))?;
    let mut active: team::ActiveModel = existing.into();
    active.name = Set(name.trim().to_owned());
    let model = active.update(&txn).await?;
    audit::system_event(
        &txn,
        Some(actor),
        "team_updated",
        state.clock.now(),
        json!({"team": key, "name": name}),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
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
    let txn = state.db.begin().await?;
    let summary: Vec<String> = grants.iter().map(|g| g.permission.clone()).collect();
    let model = insert_role(&txn, key, name, false, grants).await?;
    audit::system_event(
        &txn,
        actor,
        "role_created",
        now,
        json!({"role": key, "permissions": summary}),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn update_role(
    state: &AppState,
    actor: &str,
    key: &str,
    name: Option<String>,
    grants: Option<Vec<GrantInput>>,
) -> AppResult<role::Model> {
    let txn = state.db.begin().await?;
    let existing = role::Entity::find()
        .filter(role::Column::Key.eq(key))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found(format!("role \"{key}\"")))?;
    let mut active: role::ActiveModel = existing.clone().into();
    if let Some(n) = &name {
        active.name = Set(n.clone());
    }
    let model = active.update(&txn).await?;
    let summary: Option<Vec<String>> = grants
        .as_ref()
        .map(|g| g.iter().map(|g| g.permission.clone()).collect());
    if let Some(g) = grants {
        write_grants(&txn, &model.id, g).await?;
    }
    audit::system_event(
        &txn,
        Some(actor),
        "role_updated",
        state.clock.now(),
        json!({"role": key, "name": name, "permissions": summary}),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn delete_role(state: &AppState, actor: &str, key: &str) -> AppResult<()> {
    let txn = state.db.begin().await?;
    let existing = role::Entity::find()
        .filter(role::Column::Key.eq(key))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found(format!("role \"{key}\"")))?;
    if existing.builtin {
        return Err(AppError::invalid(
            "key",
            "built-in roles can be edited but not deleted",
        ));
    }
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
        "role_deleted",
        state.clock.now(),
        json!({"role": key}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A role and its grants, for the admin API.
#[derive(Debug, Clone)]
pub struct RoleWithGrants {
    pub role: role::Model,
    pub grants: Vec<role_permission::Model>,
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

pub async fn list_users(db: &impl ConnectionTrait) -> AppResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?)
}

pub async fn list_teams(db: &impl ConnectionTrait) -> AppResult<Vec<team::Model>> {
    Ok(team::Entity::find()
        .order_by_asc(team::Column::Key)
        .all(db)
        .await?)
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

/// Team keys of many users at once.
pub async fn teams_of_users(
    db: &impl ConnectionTrait,
    user_ids: &[String],
) -> AppResult<HashMap<String, Vec<String>>> {
    let links = team_member::Entity::find()
        .filter(team_member::Column::UserId.is_in(user_ids.iter().cloned()))
        .all(db)
        .await?;
    let teams = team::Entity::find().all(db).await?;
    let key_of: HashMap<_, _> = teams.into_iter().map(|t| (t.id, t.key)).collect();
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for l in links {
        if let Some(k) = key_of.get(&l.team_id) {
            out.entry(l.user_id).or_default().push(k.clone());
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    Ok(out)
}

/// Member user ids of teams, by team key.
pub async fn members_of_teams(
    db: &impl ConnectionTrait,
    keys: &[String],
) -> AppResult<HashMap<String, Vec<String>>> {
    let teams = team::Entity::find()
        .filter(team::Column::Key.is_in(keys.iter().cloned()))
        .all(db)
        .await?;
    let links = team_member::Entity::find()
        .filter(team_member::Column::TeamId.is_in(teams.iter().map(|t| t.id.clone())))
        .all(db)
        .await?;
    let key_of: HashMap<_, _> = teams.into_iter().map(|t| (t.id, t.key)).collect();
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for l in links {
        if let Some(k) = key_of.get(&l.team_id) {
            out.entry(k.clone()).or_default().push(l.user_id);
        }
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

pub async fn find_user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> AppResult<Option<user::Model>> {
    user_by_email(db, email).await
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
    let txn = state.db.begin().await?;
    role_ids(&txn, &roles, "input.roles").await?;
    let unique_roles: BTreeSet<String> = roles.into_iter().collect();
    let token = api_token::ActiveModel {
        id: Set(new_id()),
        name: Set(name.trim().to_owned()),
        user_id: Set(owner.user_id.clone()),
        token_hash: Set(token_hash(&secret_body)),
        roles: Set(serde_json::to_string(&unique_roles)?),
        created_at: Set(now),
        revoked_at: Set(None),
        last_used_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::system_event(
        &txn,
        Some(&owner.user_id),
        "api_token_created",
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
    let txn = state.db.begin().await?;
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
        "api_token_revoked",
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

/// Creates the first admin from the environment when the database has no user at all.
pub async fn bootstrap_admin(
    state: &AppState,
    email: &str,
    password_text: &str,
) -> AppResult<bool> {
    let any = user::Entity::find().one(&state.db).await?;
    if any.is_some() {
        return Ok(false);
    }
    create_user(
        state,
        None,
        NewUser {
            email: email.to_owned(),
            name: "Administrator".into(),
            password: Some(password_text.to_owned()),
            roles: vec!["admin".into()],
            ..NewUser::default()
        },
    )
    .await?;
    Ok(true)
}
