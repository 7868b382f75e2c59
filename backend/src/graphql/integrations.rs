//! The integrations part of the API: integrations and their secrets, deliveries and replays,
//! and inbound hooks, all `integration.manage`. It depends on no other area; `requests` uses
//! its `Delivery` for `Request.deliveries`.
//!
//! Secrets appear in exactly three answers, once each: `createIntegration`,
//! `rotateIntegrationSecret` and `createInboundHook`.

pub mod loaders;
pub mod mutation;
pub mod query;
pub mod types;
