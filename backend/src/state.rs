//! What every handler and service shares: the database, the JWT keys, the clock, the session
//! cache and sign-in throttle, the cache of parsed workflow versions and the channel that feeds `requestChanged` subscriptions.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use handoff_shared::definition::Definition;
use ipnet::IpNet;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;

use crate::auth::throttle::ClientThrottle;
use crate::auth::{JwtKeys, SessionCache};

/// The clock services read. Tests shift it forward to age requests without waiting.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        crate::db::truncate_micros(
            Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed)),
        )
    }

    /// Moves the clock forward (tests only; production never calls it).
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }
}

/// A change to one request, published after its transaction commits.
#[derive(Debug, Clone)]
pub struct RequestChange {
    pub request_id: String,
    pub number: String,
    pub workflow: String,
    pub team: Option<String>,
    pub status: String,
    pub kind: String,
    pub version: i32,
}

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub jwt: JwtKeys,
    pub clock: Clock,
    pub changes: broadcast::Sender<RequestChange>,
    /// The outbound HTTP client of webhooks and the networks it may reach (the configured
    /// allow-list; an empty one reaches public addresses only).
    pub outbound: crate::integrations::webhook::Outbound,
    /// Session principals, cached for seconds.
    pub sessions: SessionCache,
    /// The per-client budget of failed sign-ins.
    pub signin_throttle: ClientThrottle,
    /// How long a write waits for a lock another change holds before it answers `CONFLICT`
    /// (`HANDOFF_LOCK_TIMEOUT_SECS`; start-up sets it from the configuration).
    pub lock_timeout: std::time::Duration,
    /// Published versions never change, so a parsed definition can be kept for the process life.
    definitions: Arc<RwLock<HashMap<String, Arc<Definition>>>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds the state around an open database.
    ///
    /// `outbound_allow` lists the internal networks webhooks may reach (empty: public addresses
    /// only). Building the outbound HTTP client fails only when TLS cannot initialise, which the
    /// caller reports as a start-up error rather than a panic.
    pub fn new(
        db: DatabaseConnection,
        jwt: JwtKeys,
        outbound_allow: Vec<IpNet>,
    ) -> anyhow::Result<Self> {
        let (changes, _) = broadcast::channel(1024);
        Ok(Self {
            db,
            jwt,
            clock: Clock::default(),
            changes,
            outbound: crate::integrations::webhook::Outbound::new(outbound_allow)
                .context("building the outbound HTTP client")?,
            sessions: SessionCache::new(std::time::Duration::from_secs(5)),
            signin_throttle: ClientThrottle::new(30),
            lock_timeout: crate::db::DEFAULT_LOCK_TIMEOUT,
            definitions: Arc::default(),
        })
    }

    /// Sets how long session principals are cached and how many failed sign-ins a client
    /// address may have per minute (the defaults are 5 s and 30).
    pub fn with_signin(mut self, cache_secs: u64, failures_per_minute: u32) -> Self {
        self.sessions = SessionCache::new(std::time::Duration::from_secs(cache_secs));
        self.signin_throttle = ClientThrottle::new(failures_per_minute);
        self
    }

    /// Begins a write transaction with the configured lock timeout (see `db::begin_write`).
    pub async fn begin_write(&self) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
        crate::db::begin_write(&self.db, self.lock_timeout).await
    }

    pub fn cached_definition(&self, workflow_id: &str) -> Option<Arc<Definition>> {
        self.definitions.read().ok()?.get(workflow_id).cloned()
    }

    pub fn cache_definition(&self, workflow_id: &str, def: Arc<Definition>) {
        if let Ok(mut map) = self.definitions.write() {
            map.insert(workflow_id.to_owned(), def);
        }
    }

    pub fn publish_change(&self, change: RequestChange) {
        // No subscribers is the normal case; the error only says nobody listened.
        let _ = self.changes.send(change);
    }
}
