//! Background jobs that run inside `handoff serve`: `outbox` delivers webhooks and chat
//! messages. Each job is table-backed and idempotent (see its module), so several processes
//! can run it against one PostgreSQL database.

pub mod outbox;
