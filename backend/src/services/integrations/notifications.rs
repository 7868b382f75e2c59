//! The in-app notification list: a person's notifications and marking them read. They are
//! written by `services::actions` inside the transaction of the change that caused them.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::entities::notification;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The caller's notifications, newest first (at most 100).
pub async fn list_notifications(
    db: &impl ConnectionTrait,
    user_id: &str,
    unread_only: bool,
) -> AppResult<Vec<notification::Model>> {
    let mut q = notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .limit(100);
    if unread_only {
        q = q.filter(notification::Column::ReadAt.is_null());
    }
    Ok(q.all(db).await?)
}

/// Marks the caller's notifications read (ids of other people's notifications are ignored) and
/// answers them.
pub async fn mark_notifications_read(
    state: &AppState,
    user_id: &str,
    ids: Vec<String>,
) -> AppResult<Vec<notification::Model>> {
    if ids.len() > 1000 {
        return Err(AppError::invalid("input.ids", "at most 1000 at once"));
    }
    notification::Entity::update_many()
        .col_expr(
            notification::Column::ReadAt,
            sea_orm::sea_query::Expr::value(state.clock.now()),
        )
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::Id.is_in(ids.clone()))
        .filter(notification::Column::ReadAt.is_null())
        .exec(&state.db)
        .await?;
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::Id.is_in(ids))
        .order_by_desc(notification::Column::CreatedAt)
        .all(&state.db)
        .await?)
}
