//! Who is calling: passwords (argon2id, hashed off the async runtime), JWTs for signed-in
//! users, opaque API tokens for developers, and the `Principal` every guard reads.
//!
//! This module decides identity and flattens permissions; it never decides what a principal may
//! do to a particular request (that is `services::access`).

pub mod jwt;
pub mod password;
pub mod principal;

pub use jwt::{Claims, JwtKeys};
pub use principal::Principal;
