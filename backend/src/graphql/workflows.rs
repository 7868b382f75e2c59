//! The workflows part of the API: published versions, their forms and statuses, validation
//! and publishing. It depends on no other area; `requests` and `reports` use its `Workflow`,
//! `Status` and `StatusCategory`.

pub mod loaders;
pub mod mutation;
pub mod query;
pub mod types;
