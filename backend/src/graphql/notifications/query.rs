//! The notifications' query: the caller's own notifications.

use async_graphql::{Context, Object, Result};

use crate::graphql::error::GqlResult;
use crate::graphql::guards::{Authenticated, principal};
use crate::graphql::notifications::types::Notification;
use crate::services::integrations as svc;
use crate::state::AppState;

/// The caller's notifications.
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// The caller's notifications, newest first (at most 100).
    #[graphql(
        guard = "Authenticated",
        complexity = "crate::graphql::limits::many(child_complexity)"
    )]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] unread_only: bool,
    ) -> Result<Vec<Notification>> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        Ok(svc::list_notifications(&state.db, &p.user_id, unread_only)
            .await
            .gql()?
            .into_iter()
            .map(Notification)
            .collect())
    }
}
