//! The requests' DataLoaders: each request's latest approval round and timeline, and each
//! step's decisions. Each answers a batch with one `db::batch` or `services::approvals` call.

use async_graphql::Data;
use async_graphql::dataloader::Loader;

use crate::db::batch;
use crate::db::entities::{approval_decision, approval_step, event};
use crate::graphql::loaders::{LoadError, LoadResult, batching, shared};
use crate::services::approvals;
use crate::state::AppState;

/// Registers each of the requests' loaders for one request or session.
pub fn register(data: &mut Data, state: &AppState) {
    data.insert(batching(RoundLoader(state.clone())));
    data.insert(batching(DecisionLoader(state.clone())));
    data.insert(batching(EventLoader(state.clone())));
}

/// The steps of each request's latest approval round, by request id.
pub struct RoundLoader(AppState);

impl Loader<String> for RoundLoader {
    type Value = Vec<approval_step::Model>;
    type Error = LoadError;
    async fn load(&self, request_ids: &[String]) -> LoadResult<Vec<approval_step::Model>> {
        batch::latest_rounds_of_requests(&self.0.db, request_ids)
            .await
            .map_err(shared)
    }
}

/// Decisions by step id.
pub struct DecisionLoader(AppState);

impl Loader<String> for DecisionLoader {
    type Value = Vec<approval_decision::Model>;
    type Error = LoadError;
    async fn load(&self, step_ids: &[String]) -> LoadResult<Vec<approval_decision::Model>> {
        approvals::decisions_of_steps(&self.0.db, step_ids)
            .await
            .map_err(shared)
    }
}

/// The timeline of each request, oldest first, by request id.
pub struct EventLoader(AppState);

impl Loader<String> for EventLoader {
    type Value = Vec<event::Model>;
    type Error = LoadError;
    async fn load(&self, request_ids: &[String]) -> LoadResult<Vec<event::Model>> {
        batch::events_of_requests(&self.0.db, request_ids)
            .await
            .map_err(shared)
    }
}
