//! The real `handoff serve` for the test crates that run the binary (`cli.rs`, `crash.rs`):
//! started on a free loopback port with no database or address inherited from the environment,
//! awaited until `/healthz` answers, and killed (SIGKILL, by its PID) when dropped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_handoff");

/// A running `handoff serve`.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `handoff serve` on `db` with `extra` flags; `adjust` may set environment variables
/// and where its output goes (both are discarded by default). Waits until it answers.
pub async fn start(db: &str, extra: &[&str], adjust: impl FnOnce(&mut Command)) -> Server {
    let port = free_port();
    let mut command = Command::new(BIN);
    command
        .args([
            "serve",
            "--database-url",
            db,
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .args(extra)
        .env_remove("DATABASE_URL")
        .env_remove("HANDOFF_BIND")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    adjust(&mut command);
    let server = Server {
        child: command.spawn().expect("start handoff serve"),
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    // Wait for the condition (the server answers), bounded to 60 s.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if client
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("handoff serve did not answer /healthz within 60 s");
}
