//! Sign-in throttling: how many failed sign-ins a client address and an account may have.
//!
//! - **Per client** (this module): each address has a budget of failed sign-ins per minute
//!   (`HANDOFF_LOGIN_FAILURES_PER_MINUTE`, a token bucket from `governor`). When it is spent the
//!   address is refused `RATE_LIMITED` until the bucket refills, whatever account it names, so
//!   one client cannot spray passwords across many accounts. Kept in memory: a restart forgets it.
//! - **Per account** ([`account_delay`]): after [`FREE_FAILURES`] consecutive failures each
//!   further attempt waits twice as long as the last (1 s, 2 s, 4 s ... up to
//!   [`MAX_DELAY_SECS`]), and after [`LOCK_AFTER`] the account is locked until an administrator
//!   sets a new password (NIST SP 800-63B allows at most 100). Kept in the `users` row, so it
//!   holds across restarts and processes.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::{AppError, AppResult};

/// Consecutive failures an account may have before attempts are delayed.
pub const FREE_FAILURES: i32 = 5;
/// The longest delay between attempts on one account.
pub const MAX_DELAY_SECS: i64 = 15 * 60;
/// Consecutive failures that lock an account until its password is reset.
pub const LOCK_AFTER: i32 = 100;

/// How long an account must wait after its `failures`-th consecutive failure: nothing for the
/// first few, then doubling.
pub fn account_delay(failures: i32) -> Option<chrono::Duration> {
    if failures < FREE_FAILURES {
        return None;
    }
    let doublings = u32::try_from(failures - FREE_FAILURES).unwrap_or(0).min(20);
    let seconds = (1_i64 << doublings).min(MAX_DELAY_SECS);
    Some(chrono::Duration::seconds(seconds))
}

/// The per-client budget of failed sign-ins.
#[derive(Clone)]
pub struct ClientThrottle {
    failures: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Addresses whose budget is spent, with when they may try again.
    blocked: moka::sync::Cache<IpAddr, std::time::Instant>,
}

impl std::fmt::Debug for ClientThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientThrottle").finish_non_exhaustive()
    }
}

impl ClientThrottle {
    /// A budget of `per_minute` failed sign-ins per client address (at least one).
    pub fn new(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            failures: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            blocked: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(Duration::from_secs(15 * 60))
                .build(),
        }
    }

    /// Refuses a client whose budget is spent.
    pub fn admit(&self, client: Option<IpAddr>) -> AppResult<()> {
        let Some(client) = client else {
            return Ok(());
        };
        match self.blocked.get(&client) {
            Some(until) => {
                let now = std::time::Instant::now();
                if until > now {
                    Err(too_many(until - now))
                } else {
                    self.blocked.invalidate(&client);
                    Ok(())
                }
            }
            None => Ok(()),
        }
    }

    /// Counts a failed sign-in of `client`; when that spends its budget the client is refused
    /// until the bucket has room again.
    pub fn failed(&self, client: Option<IpAddr>) {
        let Some(client) = client else {
            return;
        };
        if let Err(not_until) = self.failures.check_key(&client) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            self.blocked
                .insert(client, std::time::Instant::now() + wait);
        }
        // The limiter keeps a cell per address ever seen; drop the ones that are full again.
        if self.failures.len() > 10_000 {
            self.failures.retain_recent();
        }
    }
}

fn too_many(wait: Duration) -> AppError {
    AppError::rate_limited(
        "too many failed sign-ins from this address; wait before trying again",
        wait.as_secs_f64().ceil() as u64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_delays_start_after_the_free_failures_and_double() {
        assert_eq!(account_delay(FREE_FAILURES - 1), None);
        assert_eq!(
            account_delay(FREE_FAILURES),
            Some(chrono::Duration::seconds(1))
        );
        assert_eq!(
            account_delay(FREE_FAILURES + 3),
            Some(chrono::Duration::seconds(8))
        );
        assert_eq!(
            account_delay(LOCK_AFTER),
            Some(chrono::Duration::seconds(MAX_DELAY_SECS))
        );
    }

    #[test]
    fn a_client_that_spends_its_budget_is_refused_and_others_are_not() {
        let throttle = ClientThrottle::new(3);
        let attacker = Some(IpAddr::from([10, 0, 0, 1]));
        let other = Some(IpAddr::from([10, 0, 0, 2]));
        for _ in 0..3 {
            assert!(throttle.admit(attacker).is_ok());
            throttle.failed(attacker);
        }
        throttle.failed(attacker);
        let refused = throttle.admit(attacker).expect_err("budget spent");
        assert!(refused.retry_after().is_some_and(|s| s >= 1));
        assert!(throttle.admit(other).is_ok());
    }
}
