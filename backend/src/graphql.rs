//! The GraphQL API, one folder per area (`directory`, `workflows`, `requests`, `reports`,
//! `integrations`, `notifications`), each with its `types`, `query`, `mutation` and `loaders`
//! where it has any; `schema` merges the areas' roots. `guards`, `error`, `limits` (what one
//! document may ask for) and `loaders` (what the areas' DataLoaders share) serve every area
//! and know none.
//!
//! Resolvers stay thin: guard, one service or DataLoader call, convert. Nothing here touches
//! SeaORM or runs business rules; GraphQL types wrap rows and service results, and are
//! never the entities themselves.
//!
//! Areas depend on each other in one direction only: `requests` uses `directory`, `workflows`
//! and `integrations`; `reports` and `notifications` use `requests` (and `reports` uses
//! `workflows`).

pub mod directory;
pub mod error;
pub mod guards;
pub mod integrations;
pub mod limits;
pub mod loaders;
pub mod notifications;
pub mod reports;
pub mod requests;
pub mod schema;
pub mod workflows;

pub use schema::{
    AppSchema, MAX_COMPLEXITY, MAX_DEPTH, SchemaSettings, build_schema, insert_loaders, sdl,
};
