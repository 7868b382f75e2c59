//! Builds the application the same way for `handoff serve` and for the tests: connect and
//! migrate, make sure built-in roles exist, create the first admin and demo data when asked,
//! bind the listener (port 0 works), and assemble the schema and router. `handoff serve` also
//! runs the outbox worker (`jobs::outbox`) until shutdown.

use std::net::SocketAddr;

use anyhow::Context as _;
use rand::RngCore;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::auth::JwtKeys;
use crate::config::Config;
use crate::services::directory;
use crate::state::AppState;

pub struct Application {
    pub addr: SocketAddr,
    pub state: AppState,
    listener: TcpListener,
    router: axum::Router,
    limits: crate::http::server::ServerLimits,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Connects to the configured database and builds the application.
pub async fn build(config: &Config) -> anyhow::Result<Application> {
    let db = crate::db::connect_with(&config.database_url, config.lock_timeout())
        .await
        .with_context(|| {
            format!(
                "opening the database {}",
                crate::config::redact_url(&config.database_url)
            )
        })?;
    build_with_db(config, db).await
}

/// Builds the application on an open (migrated) connection. SQLite's busy timeout is the
/// connection's own (`db::connect_with`); the rest of the configuration applies here.
pub async fn build_with_db(config: &Config, db: DatabaseConnection) -> anyhow::Result<Application> {
    let secret = match &config.jwt_secret {
        Some(s) if s.len() >= 32 => s.as_bytes().to_vec(),
        Some(_) => anyhow::bail!("HANDOFF_JWT_SECRET must be at least 32 bytes"),
        None => {
            tracing::warn!(
                "HANDOFF_JWT_SECRET is not set: using a random secret, sessions end at restart"
            );
            let mut bytes = vec![0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            bytes
        }
    };
    let jwt = JwtKeys::new(
        &secret,
        chrono::Duration::minutes(config.session_minutes.max(1)),
    );
    jwt.self_test()
        .map_err(|e| anyhow::anyhow!("JWT self-test failed: {e:?}"))?;
    let mut state = AppState::new(db, jwt, config.outbound_allow.clone())?
        .with_signin(config.session_cache_secs, config.login_failures_per_minute);
    state.lock_timeout = config.lock_timeout();
    directory::ensure_builtin_roles(&state.db)
        .await
        .map_err(|e| anyhow::anyhow!("creating built-in roles: {e:?}"))?;
    if let (Some(email), Some(password)) = (&config.admin_email, &config.admin_password)
        && directory::bootstrap_admin(&state, email, password)
            .await
            .map_err(|e| anyhow::anyhow!("creating the first admin: {e:?}"))?
    {
        tracing::info!(admin.email = %email, "created the first admin");
    }
    if config.demo {
        crate::demo::load(&state)
            .await
            .context("loading demo data")?;
    }
    let schema = crate::graphql::build_schema(
        state.clone(),
        crate::graphql::SchemaSettings {
            introspection: !config.disable_introspection,
        },
    );
    let client_ip_header = config
        .client_ip_header
        .as_deref()
        .map(axum::http::HeaderName::try_from)
        .transpose()
        .context("HANDOFF_CLIENT_IP_HEADER is not a header name")?;
    let router = crate::http::router(
        state.clone(),
        schema,
        config.request_timeout(),
        client_ip_header,
    );
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("binding {}", config.bind))?;
    let addr = listener.local_addr()?;
    Ok(Application {
        addr,
        state,
        listener,
        router,
        limits: crate::http::server::ServerLimits {
            header_timeout: config.header_timeout(),
        },
    })
}

impl Application {
    /// Serves, with the outbox worker running beside the API, until the process receives
    /// Ctrl-C or SIGTERM; then finishes in-flight requests and deliveries.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let owner = format!("worker-{}", crate::db::new_id());
        let worker = tokio::spawn(crate::jobs::outbox::run_worker(
            self.state.clone(),
            owner,
            std::time::Duration::from_secs(1),
            stopped,
        ));
        let stop_on_signal = stop.clone();
        crate::http::server::serve(self.listener, self.router, self.limits, async move {
            shutdown_signal().await;
            let _ = stop_on_signal.send(true);
        })
        .await;
        let _ = stop.send(true);
        // A delivery in flight takes at most 15 s; one that is cut off is sent again when its
        // lease ends (receivers deduplicate by `webhook-id`).
        if tokio::time::timeout(std::time::Duration::from_secs(20), worker)
            .await
            .is_err()
        {
            tracing::warn!("the outbox worker did not stop in time");
        }
        Ok(())
    }

    /// Serves until the future is dropped (tests spawn this).
    pub async fn run(self) {
        crate::http::server::serve(
            self.listener,
            self.router,
            self.limits,
            std::future::pending(),
        )
        .await;
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
