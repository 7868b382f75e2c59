//! `requestChanged`: the committed changes to the requests that the subscriber's
//! `requests(filter:)` would list. Which changes a subscriber receives is decided by
//! `services::subscriptions`.

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
    /// Each committed change to a request that `requests(filter:)`, with the same filter, would
    /// list for the caller once the change has committed: the same read rules and every field
    /// of the filter (`sort` only orders lists). Sent after the commit, never before; a
    /// subscriber that falls behind skips the changes it missed.
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
