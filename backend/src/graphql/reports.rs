//! The reports part of the API: the dashboard (`report.read`) and the audit trail across
//! requests (`audit.read`). Read-only: queries, no mutations or loaders. It uses `requests`
//! and `workflows` types.

pub mod query;
pub mod types;
