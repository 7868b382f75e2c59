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

use crate::error::{AppError, AppResult};

/// Checks a key an administrator chooses for a team, a role or an integration. Definitions
/// name things by these keys (`team: ops`, `webhook: erp`) and they appear in URLs, so they
/// stay short and plain: 1 to 64 of a-z, 0-9 and `-`. `path` is the input's path in the error.
pub fn check_key(path: &str, key: &str) -> AppResult<()> {
    let ok = !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            path,
            "use 1 to 64 characters: a-z, 0-9 and -",
        ))
    }
}
