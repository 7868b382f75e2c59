//! `requestChanged`: changes to requests the subscriber may read, as they commit. Fed by the
//! in-process broadcast channel; a subscriber too slow to keep up skips ahead rather than
//! holding the channel back.

use async_graphql::{Context, Result, Subscription};
use futures::{Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use crate::graphql::guards::{Authenticated, principal};
use crate::graphql::query::RequestFilter;
use crate::graphql::types::RequestChange;
use crate::services::{access, requests};
use crate::state::AppState;

pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Changes to requests matching the filter (workflow, team, status) that the caller may read.
    #[graphql(guard = "Authenticated")]
    async fn request_changed(
        &self,
        ctx: &Context<'_>,
        filter: Option<RequestFilter>,
    ) -> Result<impl Stream<Item = RequestChange>> {
        let state = ctx.data::<AppState>()?.clone();
        let p = principal(ctx)?.clone();
        let filter = filter.unwrap_or_default();
        let rx = state.changes.subscribe();
        Ok(BroadcastStream::new(rx).filter_map(move |msg| {
            let state = state.clone();
            let p = p.clone();
            let keep_workflow = filter.workflow.clone();
            let keep_team = filter.team.clone();
            let keep_status = filter.status.clone();
            async move {
                let change = msg.ok()?;
                if keep_workflow
                    .as_ref()
                    .is_some_and(|w| *w != change.workflow)
                    || keep_team
                        .as_ref()
                        .is_some_and(|t| Some(t) != change.team.as_ref())
                    || keep_status.as_ref().is_some_and(|s| *s != change.status)
                {
                    return None;
                }
                let req = requests::get_readable(&state, &p, Some(&change.request_id), None)
                    .await
                    .ok()?;
                access::can_read(&state.db, &p, &req)
                    .await
                    .ok()?
                    .then_some(RequestChange(change))
            }
        }))
    }
}
