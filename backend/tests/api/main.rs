//! Integration tests: the whole application over HTTP on a fresh database per test. The same
//! suite runs on SQLite and, with `HANDOFF_TEST_DB=postgres`, on PostgreSQL.

#![cfg(test)]

mod access;
mod approvals;
mod audit;
mod auth;
mod concurrency;
mod credentials;
#[path = "../support/databases.rs"]
mod databases;
mod errors;
mod helpers;
mod hostile_input;
mod integrations;
mod limits;
mod reads;
mod requests;
mod schema;
mod storage;
mod subscriptions;
mod transport;
mod workflows;
