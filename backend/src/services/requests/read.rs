//! What a caller may see of a request and do with it now.

use handoff_shared::definition::{Definition, Transition};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::relation;
use crate::auth::Principal;
use crate::db::entities::request;
use crate::engine::transitions::{self, Relation};
use crate::error::{AppError, AppResult};
use crate::services::facts::Requester;
use crate::services::{access, rules};
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
    let fields = req.fields.0.clone();
    let rel = relation(p, req);
    let now = state.clock.now();
    if def.transitions.iter().all(|t| t.guard.is_none()) {
        // No expression to evaluate, so no requester to look up and nothing to move off the
        // runtime.
        let requester = Requester::default();
        let ctx = requester.expr(def, &fields, req, now);
        return Ok(transitions::available(def, &req.status, &rel, &ctx)
            .into_iter()
            .cloned()
            .collect());
    }
    let requester = Requester::of(&state.db, req).await?;
    // Guards are expressions: they run off the async runtime (`rules`), on owned copies.
    let roles = rel.roles.to_vec();
    let (is_requester, is_assignee, in_team, can_work) =
        (rel.is_requester, rel.is_assignee, rel.in_team, rel.can_work);
    let (def, req) = (def.clone(), req.clone());
    rules::run(move || {
        let ctx = requester.expr(&def, &fields, &req, now);
        let rel = Relation {
            is_requester,
            is_assignee,
            in_team,
            roles: &roles,
            can_work,
        };
        transitions::available(&def, &req.status, &rel, &ctx)
            .into_iter()
            .cloned()
            .collect()
    })
    .await
}
