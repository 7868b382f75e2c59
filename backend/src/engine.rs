//! The workflow engine's pure rules. Services gather what a rule needs (the definition, the
//! request row, how the caller relates to it, the expression context, the clock's `now`), ask
//! a function here, and apply the answer. Nothing here reads a database, a clock or the
//! network, so every rule is unit-tested without one, and the question "may I?" and the act
//! "do it" are answered by the same function and cannot disagree.
//!
//! - `transitions`: who may take which transition now, and what taking it needs.
//! - `approvals`: how a step stands after its decisions, and where a finished round leads.
//! - `events`: which definition events a status change makes happen (for actions).
//! - `fields`: the title a request shows and what counts as a blank value.
//! - `hash`: the audit hash chain (versioned schemes) and the digest of all stream heads.

pub mod approvals;
pub mod events;
pub mod fields;
pub mod hash;
pub mod transitions;

pub use hash::{GENESIS, HashInput, HashVersion, HeadRef, event_hash, heads_digest};
