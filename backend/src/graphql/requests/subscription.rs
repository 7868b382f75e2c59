//! `requestChanged`: changes to requests the subscriber may read, as they commit. Which
//! changes a subscriber receives is decided by `services::subscriptions`.

use async_graphql::{Context, Result, Subscription};
use futures::{Stream, StreamExt};

use crate::graphql::error::GqlResult;
use crate::graphql::guards::{Authenticated, principal};
use crate::graphql::requests::query::RequestFilter;
use crate::graphql::requests::types::RequestChange;
use crate::services::subscriptions;
use crate::state::AppState;

/// The subscription root.
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    // The description below is `schema.graphql`'s text and names only the fields the old
    // filter honoured; every field of the filter is honoured now (`services::subscriptions`).
    /// Changes to requests matching the filter (workflow, team, status) that the caller may read.
    #[graphql(guard = "Authenticated")]
    async fn request_changed(
        &self,
        ctx: &Context<'_>,
        filter: Option<RequestFilter>,
    ) -> Result<impl Stream<Item = RequestChange>> {
        let state = ctx.data::<AppState>()?;
        let filter = filter.unwrap_or_default().to_service();
        let changes = subscriptions::request_changes(state, principal(ctx)?, &filter)
            .await
            .gql()?;
        Ok(changes.map(RequestChange))
    }
}
