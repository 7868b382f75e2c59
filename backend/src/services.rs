//! Use cases. Each public function owns its transaction and its audit events; resolvers call
//! exactly one of them. Services never build GraphQL types.

pub mod access;
pub mod actions;
pub mod approvals;
pub mod audit;
pub mod change;
pub mod directory;
pub mod facts;
pub mod integrations;
pub mod queries;
pub mod reports;
pub mod requests;
pub mod rules;
pub mod subscriptions;
pub mod workflows;
