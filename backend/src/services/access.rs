//! Row-level access to requests: who may read one, and the SQL condition that limits a list to
//! what the caller may read. Whatever their role, a request's requester, assignee and approvers
//! can always read it.

use handoff_shared::Permission;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use crate::auth::Principal;
use crate::db::approvers;
use crate::db::entities::{approval_step, request};
use crate::error::AppResult;

/// Whether `user_id` is an approver of any step of the request, in any round (the join table
/// `approval_step_approvers`, written when a step becomes active).
pub async fn is_approver(
    db: &impl ConnectionTrait,
    request_id: &str,
    user_id: &str,
) -> AppResult<bool> {
    Ok(approval_step::Entity::find()
        .filter(approval_step::Column::RequestId.eq(request_id))
        .filter(approval_step::Column::Id.in_subquery(approvers::step_ids_of(user_id)))
        .one(db)
        .await?
        .is_some())
}

/// Whether the caller may read a request.
pub async fn can_read(
    db: &impl ConnectionTrait,
    p: &Principal,
    r: &request::Model,
) -> AppResult<bool> {
    if r.requester_id == p.user_id
        || r.assignee_id.as_deref() == Some(p.user_id.as_str())
        || p.can(Permission::RequestReadAll, &r.workflow_key)
        || (p.can(Permission::RequestReadTeam, &r.workflow_key) && p.in_team(r.team.as_deref()))
    {
        return Ok(true);
    }
    is_approver(db, &r.id, &p.user_id).await
}

/// Whether the caller may work a request they can read.
pub fn can_work(p: &Principal, r: &request::Model) -> bool {
    p.can(Permission::RequestWork, &r.workflow_key)
}

fn in_scope(col: request::Column, scope: Option<Vec<String>>) -> Condition {
    match scope {
        None => Condition::all(),
        Some(keys) => Condition::all().add(col.is_in(keys)),
    }
}

/// The condition a request list is filtered by, mirroring `can_read`.
pub fn readable_condition(p: &Principal) -> Condition {
    let mut any = Condition::any()
        .add(request::Column::RequesterId.eq(&p.user_id))
        .add(request::Column::AssigneeId.eq(&p.user_id))
        .add(request::Column::Id.in_subquery(approvers::request_ids_of(&p.user_id)));
    if p.can_any(Permission::RequestReadAll) {
        any = any.add(in_scope(
            request::Column::WorkflowKey,
            p.scope(Permission::RequestReadAll),
        ));
    }
    if p.can_any(Permission::RequestReadTeam) && !p.teams.is_empty() {
        any = any.add(
            in_scope(
                request::Column::WorkflowKey,
                p.scope(Permission::RequestReadTeam),
            )
            .add(request::Column::Team.is_in(p.teams.clone())),
        );
    }
    any
}
