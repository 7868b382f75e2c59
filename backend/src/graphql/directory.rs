//! The directory part of the API: people, teams, roles and API tokens, and the caller's own
//! session (`login`, `me`). It depends on no other area; `requests` and the others point at
//! its `User` and `Team`.

pub mod loaders;
pub mod mutation;
pub mod query;
pub mod types;
