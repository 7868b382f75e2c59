//! What the areas' DataLoaders share. Each loader lives in its area (`directory::loaders`,
//! `requests::loaders`, ...), answers the keys one level of a query asks for with one
//! `db::batch` or service call, and lives for one HTTP request or WebSocket session
//! (`schema::insert_loaders` registers each on its own). So a page of requests costs a fixed
//! number of SQL statements whatever its size.
//!
//! Here: the error type the loaders share and typed lookups for resolvers. Nothing here knows
//! an area, so every area may use it.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Result};

use crate::error::AppError;
use crate::graphql::error::loader_error;

/// The error of a batch, shared by every resolver waiting on it.
pub type LoadError = Arc<AppError>;

/// What a loader answers: values by key, or the batch's error.
pub type LoadResult<V> = std::result::Result<HashMap<String, V>, LoadError>;

/// Shares a storage or service error among the resolvers waiting on one batch.
pub fn shared(err: impl Into<AppError>) -> LoadError {
    Arc::new(err.into())
}

/// A loader batching on the Tokio runtime, ready to be registered.
pub fn batching<L: Loader<String>>(loader: L) -> DataLoader<L> {
    DataLoader::new(loader, tokio::spawn)
}

/// The value of one key through the registered loader `L`.
pub async fn load_one<L>(ctx: &Context<'_>, key: &str) -> Result<Option<L::Value>>
where
    L: Loader<String, Error = LoadError>,
{
    ctx.data::<DataLoader<L>>()?
        .load_one(key.to_owned())
        .await
        .map_err(loader_error)
}

/// The list of one key through a list-valued loader `L` (empty when there is none).
pub async fn load_list<L, T>(ctx: &Context<'_>, key: &str) -> Result<Vec<T>>
where
    L: Loader<String, Value = Vec<T>, Error = LoadError>,
{
    Ok(load_one::<L>(ctx, key).await?.unwrap_or_default())
}

/// The values of many keys, in the order of `keys`; keys without a value are left out.
pub async fn load_many<L>(ctx: &Context<'_>, keys: &[String]) -> Result<Vec<L::Value>>
where
    L: Loader<String, Error = LoadError>,
{
    let found = ctx
        .data::<DataLoader<L>>()?
        .load_many(keys.iter().cloned())
        .await
        .map_err(loader_error)?;
    Ok(keys.iter().filter_map(|k| found.get(k).cloned()).collect())
}
