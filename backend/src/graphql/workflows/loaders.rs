//! The workflows' DataLoader: workflow versions by id, one `db::batch` query per batch.

use async_graphql::Data;
use async_graphql::dataloader::Loader;

use crate::db::batch;
use crate::db::entities::workflow;
use crate::graphql::loaders::{LoadError, LoadResult, batching, shared};
use crate::state::AppState;

/// Registers the workflows' loader for one request or session.
pub fn register(data: &mut Data, state: &AppState) {
    data.insert(batching(WorkflowLoader(state.clone())));
}

/// Workflow versions by id.
pub struct WorkflowLoader(AppState);

impl Loader<String> for WorkflowLoader {
    type Value = workflow::Model;
    type Error = LoadError;
    async fn load(&self, ids: &[String]) -> LoadResult<workflow::Model> {
        batch::workflows_by_id(&self.0.db, ids)
            .await
            .map_err(shared)
    }
}
