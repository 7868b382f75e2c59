//! Clients of external systems. `webhook` speaks Standard Webhooks (signing and verifying) and
//! owns the one outbound HTTP client, which refuses internal addresses. These modules know
//! nothing of requests or the database: the outbox worker (`jobs::outbox`) decides what to send
//! and records what happened.

pub mod webhook;
