//! The real `handoff` binary: `serve` with demo data, health endpoints, the explorer, sign-in,
//! `audit verify`, `admin create-user` and `schema`.

#![cfg(test)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_handoff");

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn temp_db() -> String {
    let path =
        std::env::temp_dir().join(format!("handoff-cli-{}.db", uuid::Uuid::now_v7().simple()));
    format!("sqlite://{}", path.display())
}

async fn serve(db: &str, extra: &[&str]) -> Server {
    let port = free_port();
    let child = Command::new(BIN)
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
        .stderr(Stdio::null())
        .spawn()
        .expect("start handoff serve");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    // Wait for the condition (the server answers), bounded to 60 s.
    for _ in 0..600 {
        if client
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("handoff serve did not answer /healthz within 60 s");
}

async fn login(base: &str, email: &str, password: &str) -> serde_json::Value {
    reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { email } } }",
            "variables": {"e": email, "p": password}
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn serve_with_demo_data_answers_health_explorer_and_sign_in_and_the_trail_verifies() {
    let db = temp_db();
    let server = serve(&db, &["--demo"]).await;
    let client = reqwest::Client::new();
    let ready = client
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let explorer = client
        .get(format!("{}/graphql", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        explorer.to_lowercase().contains("graphiql"),
        "GET /graphql serves the explorer"
    );
    let session = login(&server.base, "alice@handoff.local", "handoff-demo").await;
    assert_eq!(
        session["data"]["login"]["user"]["email"],
        "alice@handoff.local"
    );
    drop(server);
    let verify = Command::new(BIN)
        .args(["audit", "verify", "--database-url", &db])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success(), "{out}");
    assert!(out.contains(" 0 breaks"), "{out}");
}

#[tokio::test]
async fn admin_create_user_makes_an_account_that_can_sign_in() {
    let db = temp_db();
    let made = Command::new(BIN)
        .args([
            "admin",
            "create-user",
            "--database-url",
            &db,
            "--email",
            "root@example.com",
            "--name",
            "Root",
        ])
        .env("HANDOFF_NEW_PASSWORD", "correct horse battery")
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let server = serve(&db, &[]).await;
    let session = login(&server.base, "root@example.com", "correct horse battery").await;
    assert_eq!(
        session["data"]["login"]["user"]["email"],
        "root@example.com"
    );
}

#[tokio::test]
async fn the_first_admin_comes_from_the_environment() {
    let db = temp_db();
    let port = free_port();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--database-url",
            &db,
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        .env("HANDOFF_ADMIN_EMAIL", "boss@example.com")
        .env("HANDOFF_ADMIN_PASSWORD", "a long enough password")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let mut session = serde_json::Value::Null;
    for _ in 0..600 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok() {
            session = login(&base, "boss@example.com", "a long enough password").await;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        session["data"]["login"]["user"]["email"],
        "boss@example.com"
    );
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let out = Command::new(BIN).arg("schema").output().unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql")).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), committed);
}

/// The process's peak resident memory, from `/proc/<pid>/status`, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status")
}

#[tokio::test]
async fn a_burst_of_concurrent_sign_ins_keeps_memory_bounded() {
    // Each sign-in hashes with argon2id (19 MiB). Unbounded, 128 at once took 3.45 GB; bounded,
    // the process stays far below 300 MB and the excess is refused at once.
    let db = temp_db();
    let server = serve(&db, &["--login-failures-per-minute", "1000000"]).await;
    let client = reqwest::Client::new();
    let attempts = (0..128).map(|n| {
        let client = client.clone();
        let base = server.base.clone();
        async move {
            let body: serde_json::Value = client
                .post(format!("{base}/graphql"))
                .json(&serde_json::json!({
                    "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                    "variables": {"e": format!("nobody{n}@example.com"), "p": "some password guess"}
                }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("<none>")
                .to_owned()
        }
    });
    let codes = futures::future::join_all(attempts).await;
    for code in &codes {
        assert!(
            code == "UNAUTHENTICATED" || code == "RATE_LIMITED",
            "a sign-in answered {code}"
        );
    }
    assert!(
        codes.iter().any(|c| c == "UNAUTHENTICATED"),
        "no attempt was checked at all"
    );
    let peak_mib = peak_rss_kib(server.child.id()) / 1024;
    assert!(peak_mib < 300, "peak RSS {peak_mib} MiB");
}
