//! Batch reads by key for the GraphQL DataLoaders: each function answers many keys with one
//! `IN (...)` query, so a page of requests costs a fixed number of statements whatever its
//! size. They take `&impl ConnectionTrait` like every storage helper, and return maps by key;
//! a list-valued map has an entry (possibly empty) for every key asked for.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::db::entities::{approval_step, event, team, user, workflow};

/// Users by id.
pub async fn users_by_id(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, user::Model>, DbErr> {
    let rows = user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|u| (u.id.clone(), u)).collect())
}

/// Teams by key.
pub async fn teams_by_key(
    db: &impl ConnectionTrait,
    keys: &[String],
) -> Result<HashMap<String, team::Model>, DbErr> {
    let rows = team::Entity::find()
        .filter(team::Column::Key.is_in(keys.iter().cloned()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|t| (t.key.clone(), t)).collect())
}

/// Workflow versions by id.
pub async fn workflows_by_id(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, workflow::Model>, DbErr> {
    let rows = workflow::Entity::find()
        .filter(workflow::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|w| (w.id.clone(), w)).collect())
}

/// The steps of each request's latest approval round, in position order, by request id.
/// Earlier rounds (before a rework) are history, kept in the audit trail.
pub async fn latest_rounds_of_requests(
    db: &impl ConnectionTrait,
    request_ids: &[String],
) -> Result<HashMap<String, Vec<approval_step::Model>>, DbErr> {
    let rows = approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.is_in(request_ids.iter().cloned()))
        .order_by_asc(approval_step::Column::Position)
        .all(db)
        .await?;
    let mut latest: HashMap<String, i32> = HashMap::new();
    for s in &rows {
        let round = latest.entry(s.request_id.clone()).or_insert(s.round);
        *round = (*round).max(s.round);
    }
    let mut out: HashMap<String, Vec<approval_step::Model>> = request_ids
        .iter()
        .map(|k| (k.clone(), Vec::new()))
        .collect();
    for s in rows {
        if latest.get(&s.request_id) == Some(&s.round) {
            out.entry(s.request_id.clone()).or_default().push(s);
        }
    }
    Ok(out)
}

/// The timeline of each request, oldest first, by request id.
pub async fn events_of_requests(
    db: &impl ConnectionTrait,
    request_ids: &[String],
) -> Result<HashMap<String, Vec<event::Model>>, DbErr> {
    let rows = event::Entity::find()
        .filter(event::Column::Stream.is_in(request_ids.iter().cloned()))
        .order_by_asc(event::Column::Seq)
        .all(db)
        .await?;
    let mut out: HashMap<String, Vec<event::Model>> = request_ids
        .iter()
        .map(|k| (k.clone(), Vec::new()))
        .collect();
    for e in rows {
        out.entry(e.stream.clone()).or_default().push(e);
    }
    Ok(out)
}
