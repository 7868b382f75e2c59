//! The real `handoff` binary: `serve` with demo data, health endpoints, the explorer, sign-in,
//! `audit verify` and `audit checkpoint` (exit codes, read-only opening, checkpoints against an
//! attacker), `admin create-user` and `schema`.
//!
//! The audit tests run on PostgreSQL too with `HANDOFF_TEST_DB=postgres`.

#![cfg(test)]

use std::process::{Command, Stdio};
use std::time::Duration;

use sea_orm::ConnectionTrait;

#[path = "support/databases.rs"]
mod databases;

#[path = "support/server.rs"]
mod server;

use server::{BIN, Server, free_port};

fn temp_db() -> String {
    let path =
        std::env::temp_dir().join(format!("handoff-cli-{}.db", uuid::Uuid::now_v7().simple()));
    format!("sqlite://{}", path.display())
}

async fn serve(db: &str, extra: &[&str]) -> Server {
    server::start(db, extra, |_| {}).await
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

const KEY: &str = "a checkpoint key of at least 32 bytes!";

/// `handoff <args>` with no database or key inherited from the environment.
fn handoff(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env_remove("HANDOFF_AUDIT_KEY");
    cmd
}

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Ran {
    let out = cmd.output().expect("run handoff");
    Ran {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn verify(db: &str, extra: &[&str]) -> Ran {
    run(handoff(&["audit", "verify", "--database-url", db])
        .args(extra)
        .env("HANDOFF_AUDIT_KEY", KEY))
}

/// The hex digest from verify's `head digest: <hex> (N heads)` line.
fn printed_digest(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("head digest: "))
        .unwrap_or_else(|| panic!("no head digest in {stdout}"));
    line.split_whitespace().next().unwrap().to_owned()
}

/// A database holding the demo organisation (its system events), built in-process.
async fn demo_database() -> String {
    let url = databases::fresh_database("cli").await;
    let db = handoff_backend::db::connect(&url).await.unwrap();
    let mut config = handoff_backend::config::Config::for_tests(url.clone());
    config.demo = true;
    let app = handoff_backend::startup::build_with_db(&config, db)
        .await
        .unwrap();
    let db = app.state.db.clone();
    drop(app);
    db.close().await.unwrap();
    url
}

/// Drops the append-only triggers, as an attacker with DDL rights would.
async fn drop_audit_triggers(db: &sea_orm::DatabaseConnection) {
    let sql: &[&str] = if databases::on_postgres() {
        &[
            "DROP TRIGGER events_append_only ON events",
            "DROP TRIGGER stream_heads_forward ON stream_heads",
        ]
    } else {
        &[
            "DROP TRIGGER events_no_delete",
            "DROP TRIGGER stream_heads_forward",
        ]
    };
    for s in sql {
        db.execute_unprepared(s).await.unwrap();
    }
}

#[test]
fn audit_verify_on_a_missing_sqlite_file_exits_2_and_creates_nothing() {
    let path =
        std::env::temp_dir().join(format!("handoff-typo-{}.db", uuid::Uuid::now_v7().simple()));
    for url in [
        format!("sqlite://{}", path.display()),
        format!("sqlite://{}?mode=rwc", path.display()),
    ] {
        let ran = verify(&url, &[]);
        assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
        assert!(ran.stderr.contains("no SQLite database"), "{}", ran.stderr);
        assert!(!ran.stdout.contains("0 breaks"), "{}", ran.stdout);
        let checkpoint =
            run(handoff(&["audit", "checkpoint", "--database-url", &url])
                .env("HANDOFF_AUDIT_KEY", KEY));
        assert_eq!(checkpoint.code, 2, "{}", checkpoint.stderr);
    }
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", path.display());
        assert!(!std::path::Path::new(&file).exists(), "{file} was created");
    }
}

#[tokio::test]
async fn audit_verify_refuses_a_database_that_is_not_a_migrated_handoff_database() {
    use sea_orm_migration::MigratorTrait;

    let empty = databases::fresh_database("cli-empty").await;
    if databases::on_postgres() {
        let missing = format!(
            "{}/handoff_test_missing_{}",
            databases::pg_base(),
            uuid::Uuid::now_v7().simple()
        );
        let ran = verify(&missing, &[]);
        assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
        assert!(ran.stderr.contains("cannot open"), "{}", ran.stderr);
    } else {
        let path = empty.trim_start_matches("sqlite://");
        std::fs::write(path, b"").unwrap();
    }
    let ran = verify(&empty, &[]);
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr.contains("not a Handoff database"),
        "{}",
        ran.stderr
    );

    // Migrated only part of the way: verify would misread the older schema.
    let partial = databases::fresh_database("cli-partial").await;
    let db = handoff_backend::db::open(&partial).await.unwrap();
    handoff_migrations::Migrator::up(&db, Some(3))
        .await
        .unwrap();
    db.close().await.unwrap();
    let ran = verify(&partial, &[]);
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert!(ran.stderr.contains("not migrated"), "{}", ran.stderr);
}

#[tokio::test]
async fn a_checkpoint_kept_outside_the_database_catches_a_rewritten_trail() {
    let url = demo_database().await;
    let clean = verify(&url, &[]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    assert!(clean.stdout.contains(" 0 breaks"), "{}", clean.stdout);
    let digest = printed_digest(&clean.stdout);
    assert_eq!(digest.len(), 64);

    // No key, no checkpoint.
    let keyless = run(&mut handoff(&[
        "audit",
        "checkpoint",
        "--database-url",
        &url,
    ]));
    assert_eq!(keyless.code, 2);
    assert!(
        keyless.stderr.contains("HANDOFF_AUDIT_KEY"),
        "{}",
        keyless.stderr
    );
    assert!(keyless.stdout.is_empty());

    let taken = run(
        handoff(&["audit", "checkpoint", "--database-url", &url]).env("HANDOFF_AUDIT_KEY", KEY)
    );
    assert_eq!(taken.code, 0, "{}", taken.stderr);
    let line = taken.stdout.trim_end().to_owned();
    assert_eq!(line.lines().count(), 1, "one line of JSON");
    let checkpoint: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        checkpoint["digest"],
        digest.as_str(),
        "verify printed the same digest"
    );
    let file = std::env::temp_dir().join(format!(
        "handoff-checkpoint-{}.json",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::write(&file, &line).unwrap();
    let file = file.display().to_string();

    // A good checkpoint passes, given inline or as a file.
    for given in [line.as_str(), file.as_str()] {
        let ran = verify(&url, &["--checkpoint", given]);
        assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
        assert!(ran.stdout.contains("signature valid"), "{}", ran.stdout);
    }
    // Another key, or an edited checkpoint, fails.
    let other_key = run(handoff(&[
        "audit",
        "verify",
        "--database-url",
        &url,
        "--checkpoint",
        &file,
    ])
    .env(
        "HANDOFF_AUDIT_KEY",
        "another key that is long enough to use!!",
    ));
    assert_eq!(other_key.code, 1, "{}", other_key.stdout);
    assert!(
        other_key.stdout.contains("NOT valid"),
        "{}",
        other_key.stdout
    );
    let mut edited = checkpoint.clone();
    edited["heads"][0]["seq"] = serde_json::json!(1);
    let ran = verify(&url, &["--checkpoint", &edited.to_string()]);
    assert_eq!(ran.code, 1, "{}", ran.stdout);
    // Checking a checkpoint needs the key.
    let keyless = run(&mut handoff(&[
        "audit",
        "verify",
        "--database-url",
        &url,
        "--checkpoint",
        &file,
    ]));
    assert_eq!(keyless.code, 2);
    assert!(
        keyless.stderr.contains("HANDOFF_AUDIT_KEY"),
        "{}",
        keyless.stderr
    );

    // The attacker deletes the newest system event and rewinds its head to match.
    let db = handoff_backend::db::open(&url).await.unwrap();
    drop_audit_triggers(&db).await;
    let newest: i64 = db
        .query_one_raw(handoff_backend::db::statement(
            &db,
            "SELECT MAX(seq) AS n FROM events WHERE stream = 'system'",
            vec![],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "n")
        .unwrap();
    for sql in [
        format!("DELETE FROM events WHERE stream = 'system' AND seq = {newest}"),
        format!(
            "UPDATE stream_heads SET last_seq = {prev}, last_hash = (SELECT hash FROM events \
             WHERE stream = 'system' AND seq = {prev}) WHERE stream = 'system'",
            prev = newest - 1
        ),
    ] {
        db.execute_unprepared(&sql).await.unwrap();
    }
    let fooled = verify(&url, &[]);
    assert_eq!(
        fooled.code, 0,
        "a consistent rewrite passes on its own: {}",
        fooled.stdout
    );
    assert_ne!(
        printed_digest(&fooled.stdout),
        digest,
        "but the digest changed"
    );
    let caught = verify(&url, &["--checkpoint", &file]);
    assert_eq!(caught.code, 1, "{}", caught.stdout);
    assert!(
        caught.stdout.contains(&format!("BROKEN system #{newest}")),
        "{}",
        caught.stdout
    );
    // A trail with breaks is never signed.
    db.execute_unprepared(&format!(
        "DELETE FROM events WHERE stream = 'system' AND seq = {}",
        newest - 1
    ))
    .await
    .unwrap();
    db.close().await.unwrap();
    let broken = verify(&url, &[]);
    assert_eq!(broken.code, 1, "{}", broken.stdout);
    let refused = run(
        handoff(&["audit", "checkpoint", "--database-url", &url]).env("HANDOFF_AUDIT_KEY", KEY)
    );
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stdout.is_empty());
}
