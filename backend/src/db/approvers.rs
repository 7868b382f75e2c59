//! Queries over `approval_step_approvers`, the join table of who may decide which step.
//!
//! The table replaces matching a quoted id inside the JSON text of `approval_steps.approvers`
//! (`LIKE '%"<id>"%'`): the same answer from an index. Until every writer of the JSON column
//! also calls [`replace`], the table is only complete for steps activated before migration
//! 000003 ran, so readers switch together with the writer.

use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use crate::db::entities::{approval_step, approval_step_approver as approver};

/// Makes `user_ids` the approvers of `step_id` (repeated ids count once). Call it in the
/// transaction that writes the step's `approvers` column.
pub async fn replace(
    db: &impl ConnectionTrait,
    step_id: &str,
    user_ids: &[String],
) -> Result<(), DbErr> {
    approver::Entity::delete_many()
        .filter(approver::Column::StepId.eq(step_id))
        .exec(db)
        .await?;
    let mut unique: Vec<&String> = user_ids.iter().collect();
    unique.sort_unstable();
    unique.dedup();
    if unique.is_empty() {
        return Ok(());
    }
    approver::Entity::insert_many(unique.into_iter().map(|user_id| approver::ActiveModel {
        step_id: Set(step_id.to_owned()),
        user_id: Set(user_id.clone()),
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// The ids of the steps `user_id` may decide, as a subquery for
/// `approval_step::Column::Id.in_subquery(..)`.
pub fn step_ids_of(user_id: &str) -> SelectStatement {
    Query::select()
        .column(approver::Column::StepId)
        .from(approver::Entity)
        .and_where(Expr::col(approver::Column::UserId).eq(user_id))
        .to_owned()
}

/// The ids of the requests with a step `user_id` may decide (in any round), as a subquery for
/// `request::Column::Id.in_subquery(..)`: the "approvers can read" rule of `access`.
pub fn request_ids_of(user_id: &str) -> SelectStatement {
    Query::select()
        .column(approval_step::Column::RequestId)
        .from(approval_step::Entity)
        .and_where(Expr::col(approval_step::Column::Id).in_subquery(step_ids_of(user_id)))
        .to_owned()
}
