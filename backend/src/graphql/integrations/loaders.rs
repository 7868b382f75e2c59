//! The integrations' DataLoaders: deliveries by request and attempt logs by delivery, each
//! answered with one `services::integrations` call per batch.

use async_graphql::Data;
use async_graphql::dataloader::Loader;

use crate::db::entities::{delivery_attempt, outbox};
use crate::graphql::loaders::{LoadError, LoadResult, batching, shared};
use crate::services::integrations as svc;
use crate::state::AppState;

/// Registers each of the integrations' loaders for one request or session.
pub fn register(data: &mut Data, state: &AppState) {
    data.insert(batching(DeliveryLoader(state.clone())));
    data.insert(batching(AttemptLoader(state.clone())));
}

/// Deliveries by request id, oldest first.
pub struct DeliveryLoader(AppState);

impl Loader<String> for DeliveryLoader {
    type Value = Vec<outbox::Model>;
    type Error = LoadError;
    async fn load(&self, request_ids: &[String]) -> LoadResult<Vec<outbox::Model>> {
        svc::deliveries_of_requests(&self.0.db, request_ids)
            .await
            .map_err(shared)
    }
}

/// Attempt logs by delivery id, in order.
pub struct AttemptLoader(AppState);

impl Loader<String> for AttemptLoader {
    type Value = Vec<delivery_attempt::Model>;
    type Error = LoadError;
    async fn load(&self, delivery_ids: &[String]) -> LoadResult<Vec<delivery_attempt::Model>> {
        svc::attempts_of_deliveries(&self.0.db, delivery_ids)
            .await
            .map_err(shared)
    }
}
