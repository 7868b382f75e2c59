//! Teams: creating and renaming them, listing them, and the batch look-ups between teams and
//! their members (for DataLoaders, routing and notifications). Memberships themselves are
//! written with the user (`users::set_memberships`).

use handoff_shared::EventKind;
use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::db::entities::{team, team_member};
use crate::db::new_id;
use crate::error::{AppError, AppResult, Duplicate, OnDuplicate};
use crate::services::{audit, check_key};
use crate::state::AppState;

/// The ids of teams named by key; an unknown key is a validation problem at `path`.
pub(super) async fn team_ids(
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
    let txn = state.begin_write().await?;
    let model = team::ActiveModel {
        id: Set(new_id()),
        key: Set(key.to_owned()),
        name: Set(name.trim().to_owned()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .on_duplicate(Duplicate::Field {
        path: "input.key",
        message: "a team with this key exists",
    })?;
    audit::system_event(
        &txn,
        actor,
        EventKind::TeamCreated,
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
    let txn = state.begin_write().await?;
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
        EventKind::TeamUpdated,
        state.clock.now(),
        json!({"team": key, "name": name}),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn list_teams(db: &impl ConnectionTrait) -> AppResult<Vec<team::Model>> {
    Ok(team::Entity::find()
        .order_by_asc(team::Column::Key)
        .all(db)
        .await?)
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
