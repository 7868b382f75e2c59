//! Handoff's server: the GraphQL API, the workflow engine and its services, storage, and the
//! CLI's building blocks. `main.rs` only parses arguments and calls `startup`.
//!
//! Dependency direction: `http → graphql → services → {engine, db, jobs, integrations} →
//! handoff_shared`.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod engine;
pub mod error;
pub mod graphql;
pub mod http;
pub mod integrations;
pub mod jobs;
pub mod services;
pub mod startup;
pub mod state;
pub mod web;
