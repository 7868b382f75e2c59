//! The requests part of the API: requests, their approvals and timelines, the request list,
//! the approval inbox, the changes that move a request, and the `requestChanged`
//! subscription. It uses `directory`, `workflows` and `integrations` types (a request's
//! people, workflow and deliveries); `reports` and `notifications` use its types.

pub mod loaders;
pub mod mutation;
pub mod query;
pub mod subscription;
pub mod types;
