//! Passwords: hashing with argon2id (the crate's defaults: m=19456 KiB, t=2, p=1, the OWASP
//! minimum), and the policy a new password must meet.
//!
//! Each hash holds 19 MiB for tens of milliseconds of CPU, so hashing is bounded: at most
//! [`HASHING_AT_ONCE`] run at a time, at most [`HASHING_WAITERS`] more wait (a waiter costs a
//! few bytes, not 19 MiB) for up to [`HASHING_WAIT`], and anything beyond is answered
//! `RATE_LIMITED` at once. Without the bound, 128 concurrent wrong sign-ins took the process
//! from 0.5 GB to 3.45 GB.
//!
//! Hashes run on a pool of exactly [`HASHING_AT_ONCE`] threads of their own rather than on
//! tokio's blocking pool (hundreds of threads), so the allocator's per-thread caches of 19 MiB
//! blocks stay few. The binary uses mimalloc: glibc's allocator kept every freed hash block
//! resident (128 concurrent sign-ins: 787 MiB peak and resident afterwards, against about
//! 190 MiB with mimalloc).
//!
//! The policy follows NIST SP 800-63B: a minimum and a maximum length, no composition rules, and
//! a list of passwords too common to accept.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::{AppError, AppResult};

/// Hashes that may run at once.
pub const HASHING_AT_ONCE: usize = 4;
/// Callers that may wait for a free slot; more are refused at once.
pub const HASHING_WAITERS: usize = 32;
/// How long a caller waits for a slot before it is refused.
pub const HASHING_WAIT: Duration = Duration::from_secs(2);

/// Fewest characters a new password may have.
pub const MIN_LEN: usize = 12;
/// Most characters a new password may have (hashing cost grows with length).
pub const MAX_LEN: usize = 128;
/// Longest input `verify` hashes at all: anything longer cannot be a stored password.
const MAX_VERIFY_BYTES: usize = 4 * MAX_LEN;

static HASHING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(HASHING_AT_ONCE));
static THREADS: LazyLock<Result<rayon::ThreadPool, rayon::ThreadPoolBuildError>> =
    LazyLock::new(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(HASHING_AT_ONCE)
            .thread_name(|n| format!("password-hash-{n}"))
            .build()
    });
static WAITING: AtomicUsize = AtomicUsize::new(0);

/// Common passwords, one per line, lower case.
const COMMON: &str = include_str!("common-passwords.txt");

/// A slot to hash in, or `RATE_LIMITED` when too many hashes run and wait already.
async fn slot() -> AppResult<SemaphorePermit<'static>> {
    if let Ok(permit) = HASHING.try_acquire() {
        return Ok(permit);
    }
    let busy = || AppError::rate_limited("too many sign-ins at once; retry in a moment", 1);
    if WAITING.fetch_add(1, Ordering::SeqCst) >= HASHING_WAITERS {
        WAITING.fetch_sub(1, Ordering::SeqCst);
        return Err(busy());
    }
    let waited = tokio::time::timeout(HASHING_WAIT, HASHING.acquire()).await;
    WAITING.fetch_sub(1, Ordering::SeqCst);
    match waited {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(closed)) => Err(AppError::Internal(closed.into())),
        Err(_elapsed) => Err(busy()),
    }
}

/// Runs `work` on the hashing threads, holding a slot.
async fn on_hashing_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> AppResult<T> {
    let _slot = slot().await?;
    let pool = THREADS
        .as_ref()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("starting the hashing threads: {e}")))?;
    let (done, result) = tokio::sync::oneshot::channel();
    pool.spawn(move || {
        // The receiver is gone only when the caller was cancelled; nothing to tell then.
        let _ = done.send(work());
    });
    result
        .await
        .map_err(|_| AppError::Internal(anyhow::anyhow!("a password hash did not finish")))
}

/// Hashes a password into a PHC string.
pub async fn hash(password: String) -> AppResult<String> {
    on_hashing_thread(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))
    })
    .await?
}

/// Whether `password` matches the stored PHC string. A malformed stored hash is "no match".
/// `None` for the stored hash spends the same time and answers "no match", so an unknown or
/// password-less account cannot be told apart by timing.
pub async fn verify(password: String, stored: Option<String>) -> AppResult<bool> {
    if password.len() > MAX_VERIFY_BYTES {
        return Ok(false);
    }
    on_hashing_thread(move || match stored {
        Some(stored) => Argon2::default()
            .verify_password(password.as_bytes(), stored.as_str())
            .is_ok(),
        None => {
            let _ = Argon2::default().hash_password(password.as_bytes());
            false
        }
    })
    .await
}

/// Checks a new password against the policy; the error is the message to show beside the
/// input. `email` is the account's, which the password must not be.
pub fn check_policy(password: &str, email: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_LEN {
        return Err(format!("use at least {MIN_LEN} characters"));
    }
    if length > MAX_LEN {
        return Err(format!("use at most {MAX_LEN} characters"));
    }
    let lower = password.to_lowercase();
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if lower == email.to_lowercase() || (!local.is_empty() && lower == local) {
        return Err("must not be the email address".into());
    }
    if is_common(&lower) {
        return Err("this password is too common; choose another".into());
    }
    Ok(())
}

/// Whether a (lower-case) password is in the common list, also with trailing digits and
/// punctuation removed (`password123!` is `password`), or is one character repeated, or only
/// digits and punctuation.
fn is_common(lower: &str) -> bool {
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    let all_same = lower.chars().all(|c| lower.starts_with(c));
    all_same
        || stem.is_empty()
        || COMMON
            .lines()
            .any(|common| common == lower || common == stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_refuses_short_long_common_and_own_email() {
        let email = "alice@example.com";
        assert!(check_policy("short", email).is_err());
        assert!(check_policy(&"x".repeat(MAX_LEN + 1), email).is_err());
        assert!(check_policy("password1234", email).is_err());
        assert!(check_policy("Password123!", email).is_err());
        assert!(check_policy("123456789012", email).is_err());
        assert!(check_policy("qwertyuiop12", email).is_err());
        assert!(check_policy("aaaaaaaaaaaaaaaa", email).is_err());
        assert!(check_policy("alice@example.com", email).is_err());
        assert!(check_policy("violet tram nineteen", email).is_ok());
        assert!(check_policy("handoff-demo", email).is_ok());
    }

    #[tokio::test]
    async fn verify_matches_only_the_hashed_password() {
        let stored = hash("correct horse battery".into()).await.expect("hashed");
        assert!(
            verify("correct horse battery".into(), Some(stored.clone()))
                .await
                .expect("ran")
        );
        assert!(
            !verify("wrong horse battery".into(), Some(stored))
                .await
                .expect("ran")
        );
        assert!(!verify("anything".into(), None).await.expect("ran"));
        assert!(
            !verify("x".repeat(10_000), Some("$argon2id$".into()))
                .await
                .expect("ran")
        );
    }
}
