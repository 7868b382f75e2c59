//! Administration of integrations (webhook and chat endpoints, their secrets and rotation),
//! the delivery lists and replays, inbound hook tokens, and the in-app notification list.
//!
//! Secrets are answered once, by the call that makes them, and never again: not by lists, not
//! in audit events, not in errors. Administrative changes are audited on the system stream; a
//! replay is audited on the request's own chain.
//!
//! One file per area; this module re-exports every public item, so callers keep naming
//! `services::integrations::create_integration` and never depend on which file holds it.
//!
//! - `endpoints`: integrations, their URLs and secrets.
//! - `deliveries`: outbox rows and attempts as admins see them, and replays.
//! - `hooks`: inbound hook tokens and the service users they act as.
//! - `notifications`: the in-app notification list.

mod deliveries;
mod endpoints;
mod hooks;
mod notifications;

pub use deliveries::{
    DeliveryFilter, MAX_DELIVERIES, attempts_of_deliveries, deliveries_of_requests,
    list_deliveries, retry_delivery,
};
pub use endpoints::{
    IntegrationUpdate, Kind, MAX_OVERLAP_MINUTES, NewIntegration, create_integration,
    find_integration, list_integrations, rotate_secret, signing_secrets, update_integration,
};
pub use hooks::{
    HOOK_TOKEN_PREFIX, NewHook, create_inbound_hook, hook_by_token, hook_principal,
    list_inbound_hooks, revoke_inbound_hook,
};
pub use notifications::{list_notifications, mark_notifications_read};
