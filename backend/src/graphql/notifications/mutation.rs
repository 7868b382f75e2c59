//! The notifications' mutation: marking the caller's own notifications read.

use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::graphql::error::GqlResult;
use crate::graphql::guards::{Authenticated, principal};
use crate::graphql::notifications::types::Notification;
use crate::services::integrations as svc;
use crate::state::AppState;

#[derive(InputObject)]
pub struct MarkNotificationsReadInput {
    pub ids: Vec<ID>,
}

/// Reading the caller's notifications.
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// Marks the caller's notifications read and answers them.
    #[graphql(
        guard = "Authenticated",
        complexity = "crate::graphql::limits::many(child_complexity)"
    )]
    async fn mark_notifications_read(
        &self,
        ctx: &Context<'_>,
        input: MarkNotificationsReadInput,
    ) -> Result<Vec<Notification>> {
        let state = ctx.data::<AppState>()?;
        let p = principal(ctx)?;
        let ids: Vec<String> = input.ids.into_iter().map(|i| i.0).collect();
        Ok(svc::mark_notifications_read(state, &p.user_id, ids)
            .await
            .gql()?
            .into_iter()
            .map(Notification)
            .collect())
    }
}
