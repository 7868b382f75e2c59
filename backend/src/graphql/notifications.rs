//! The notifications part of the API: the caller's in-app notifications (made by definitions'
//! `notify` actions) and marking them read. Any signed-in caller, for their own only. Apart
//! from `integrations` because a notification links to its request: this area uses
//! `requests` types, while `requests` uses `integrations` types (`Request.deliveries`), so
//! keeping both in one area would make a cycle.

pub mod mutation;
pub mod query;
pub mod types;
