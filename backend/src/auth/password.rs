//! Password hashing with argon2id (the crate's defaults: m=19456 KiB, t=2, p=1, the OWASP
//! minimum). Hashing costs tens of milliseconds of CPU, so it runs on the blocking pool and never
//! stalls the async workers.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::error::{AppError, AppResult};

/// Hashes a password into a PHC string.
pub async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}

/// Whether `password` matches the stored PHC string. A malformed stored hash is "no match".
pub async fn verify(password: String, stored: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), stored.as_str())
            .is_ok()
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))
}
