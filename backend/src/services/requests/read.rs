//! What a caller may see of a request and do with it now.

use handoff_shared::definition::{Definition, Transition};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::relation;
use crate::auth::Principal;
use crate::db::entities::request;
use crate::engine::transitions;
use crate::error::{AppError, AppResult};
use crate::services::access;
use crate::services::facts::Requester;
use crate::state::AppState;

/// Loads a request the caller may read, or `NOT_FOUND` (never revealing that it exists).
pub async fn get_readable(
    state: &AppState,
    p: &Principal,
    id: Option<&str>,
    number: Option<&str>,
) -> AppResult<request::Model> {
    let mut q = request::Entity::find();
    match (id, number) {
        (Some(id), _) => q = q.filter(request::Column::Id.eq(id)),
        (None, Some(n)) => q = q.filter(request::Column::Number.eq(n.to_uppercase())),
        (None, None) => return Err(AppError::invalid("id", "give an id or a number")),
    }
    let req = q
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("request"))?;
    if access::can_read(&state.db, p, &req).await? {
        Ok(req)
    } else {
        Err(AppError::not_found("request"))
    }
}

/// The transitions the caller may take now, as `engine::transitions::available` decides.
pub async fn available_transitions(
    state: &AppState,
    p: &Principal,
    req: &request::Model,
    def: &Definition,
) -> AppResult<Vec<Transition>> {
    // The requester is only looked up when a guard needs them.
    let requester = if def.transitions.iter().any(|t| t.guard.is_some()) {
        Requester::of(&state.db, req).await?
    } else {
        Requester::default()
    };
    let ctx = requester.expr(def, &req.fields.0, req, state.clock.now());
    Ok(
        transitions::available(def, &req.status, &relation(p, req), &ctx)
            .into_iter()
            .cloned()
            .collect(),
    )
}
