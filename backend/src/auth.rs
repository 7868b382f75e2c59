//! Who is calling: passwords (argon2id, bounded and off the async runtime, with their policy),
//! sign-in throttling, JWTs naming signed-in sessions, opaque API tokens for developers, and the
//! `Principal` every guard reads.
//!
//! This module decides identity and flattens permissions; it never decides what a principal may
//! do to a particular request (that is `services::access`).

pub mod jwt;
pub mod password;
pub mod principal;
pub mod throttle;

pub use jwt::{Claims, JwtKeys};
pub use principal::{Principal, SessionCache};
