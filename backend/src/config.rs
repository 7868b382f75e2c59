//! Settings: every one is a flag and an environment variable (`handoff serve --help` lists
//! them). Secrets are never printed: `Debug` redacts them.

use std::net::SocketAddr;

use clap::Args;

#[derive(Args, Clone)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "HANDOFF_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Database URL: `sqlite://file.db` (created when missing) or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://handoff.db")]
    pub database_url: String,
    /// Secret that signs session tokens (at least 32 bytes). Without it a random one is made at
    /// start, so sessions end when the process restarts.
    #[arg(long, env = "HANDOFF_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// How long a session lives, in minutes (signing out or a change to the account ends it
    /// sooner).
    #[arg(long, env = "HANDOFF_SESSION_MINUTES", default_value_t = 60)]
    pub session_minutes: i64,
    /// How long a session's roles and grants are cached, in seconds: the longest another
    /// process sharing the database takes to see a demotion (this process sees it at once).
    #[arg(long, env = "HANDOFF_SESSION_CACHE_SECS", default_value_t = 5)]
    pub session_cache_secs: u64,
    /// Failed sign-ins one client address may have per minute before it must wait.
    #[arg(long, env = "HANDOFF_LOGIN_FAILURES_PER_MINUTE", default_value_t = 30)]
    pub login_failures_per_minute: u32,
    /// Header naming the client address when behind a reverse proxy (e.g. `x-forwarded-for`;
    /// its last entry is used). Unset: the connection's peer address.
    #[arg(long, env = "HANDOFF_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,
    /// Email of the first admin, created when the database has no user.
    #[arg(long, env = "HANDOFF_ADMIN_EMAIL")]
    pub admin_email: Option<String>,
    /// Password of the first admin.
    #[arg(long, env = "HANDOFF_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// Load demo users, teams and the shipped workflow templates (once; skipped when present).
    #[arg(long, env = "HANDOFF_DEMO")]
    pub demo: bool,
    /// Networks outbound webhooks may reach although they are loopback, private or link-local
    /// (comma-separated CIDRs, e.g. `127.0.0.1/32` for a receiver on this machine). Empty by
    /// default: such addresses are refused when an integration is saved and when connecting.
    #[arg(long, env = "HANDOFF_OUTBOUND_ALLOW", value_delimiter = ',')]
    pub outbound_allow: Vec<ipnet::IpNet>,
    /// Seconds a write waits for a lock another change holds (SQLite's write lock, a
    /// PostgreSQL row lock) before it gives up with `CONFLICT` ("retry").
    #[arg(long, env = "HANDOFF_LOCK_TIMEOUT_SECS", default_value_t = 5)]
    pub lock_timeout_secs: u64,
    /// Seconds a connection has to send a complete request head, counted from when the server
    /// starts waiting for it: a new connection's first request and a kept-alive connection's
    /// next one alike, so this is also how long an idle keep-alive connection stays open.
    #[arg(long, env = "HANDOFF_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Seconds a request may take from its head to its answer, body included (408 after).
    #[arg(long, env = "HANDOFF_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Refuse schema introspection (`__schema`, `__type`) to everyone, signed in or not. Anonymous
    /// callers never get it; production deployments that do not use the explorer can turn it
    /// off entirely.
    #[arg(long, env = "HANDOFF_DISABLE_INTROSPECTION")]
    pub disable_introspection: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("database_url", &redact_url(&self.database_url))
            .field(
                "jwt_secret",
                &self.jwt_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("session_minutes", &self.session_minutes)
            .field("session_cache_secs", &self.session_cache_secs)
            .field("login_failures_per_minute", &self.login_failures_per_minute)
            .field("client_ip_header", &self.client_ip_header)
            .field("admin_email", &self.admin_email)
            .field("demo", &self.demo)
            .field("outbound_allow", &self.outbound_allow)
            .field("lock_timeout_secs", &self.lock_timeout_secs)
            .field("header_timeout_secs", &self.header_timeout_secs)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("disable_introspection", &self.disable_introspection)
            .finish_non_exhaustive()
    }
}

/// Hides a password inside a database URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Config {
    pub fn lock_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.lock_timeout_secs)
    }

    pub fn header_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.header_timeout_secs.max(1))
    }

    pub fn request_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.request_timeout_secs.max(1))
    }

    /// Settings for tests: a given database, an ephemeral port, a fixed secret, and outbound
    /// webhooks allowed to loopback receivers started by the tests.
    pub fn for_tests(database_url: String) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url,
            jwt_secret: Some("test-secret-test-secret-test-secret!".into()),
            session_minutes: 60,
            session_cache_secs: 5,
            login_failures_per_minute: 30,
            client_ip_header: None,
            admin_email: None,
            admin_password: None,
            demo: false,
            outbound_allow: vec![ipnet::IpNet::from(std::net::IpAddr::from([127, 0, 0, 1]))],
            lock_timeout_secs: 5,
            header_timeout_secs: 10,
            request_timeout_secs: 30,
            disable_introspection: false,
        }
    }
}
