//! One module per screen. Pages read data through `crate::api` only.

pub mod admin_directory;
pub mod admin_workflows;
pub mod approvals;
pub mod dashboard;
pub mod home;
pub mod login;
pub mod new_request;
pub mod queue;
pub mod request;
