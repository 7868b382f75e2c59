//! `kill -9` under load: the real `handoff serve` is killed with SIGKILL while clients submit
//! requests, restarted on the same database, and the clients resubmit what was not
//! acknowledged with the same idempotency keys. Afterwards no acknowledged request is lost,
//! none is duplicated, request numbers have no gaps, and `handoff audit verify` is clean.
//!
//! SQLite by default, PostgreSQL with `HANDOFF_TEST_DB=postgres`. Loopback only; the only
//! process killed is the server this test started, by its PID (`Child::kill` is SIGKILL on
//! Unix). Bounded to about a minute.

#![cfg(test)]

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

#[path = "support/databases.rs"]
mod databases;

#[path = "support/server.rs"]
mod server;

use server::{BIN, Server};

/// How many requests the clients submit in all.
const REQUESTS: usize = 120;
/// Concurrent clients.
const CLIENTS: usize = 6;
/// The server is killed once this many submissions were acknowledged.
const KILL_AFTER: usize = 30;
/// The whole test, start to verify, stays within this.
const BUDGET: Duration = Duration::from_secs(60);

const SUBMIT: &str =
    "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id number } }";

/// Starts `handoff serve` on `db` and waits until it answers. The JWT secret is fixed, so a
/// session token outlives the restart as it would in production.
async fn serve(db: &str, log: &std::path::Path) -> Server {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    server::start(db, &["--demo"], |command| {
        command
            .env("HANDOFF_JWT_SECRET", "crash-test-secret-crash-test-secret!")
            .stderr(log);
    })
    .await
}

async fn login(base: &str) -> String {
    let body: Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&json!({
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            "variables": {"e": "alice@handoff.local", "p": handoff_backend::demo::DEMO_PASSWORD}
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["data"]["login"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("login failed: {body}"))
        .to_owned()
}

/// What the clients share: where the server is now, and what it acknowledged.
struct Load {
    base: RwLock<String>,
    token: String,
    /// Idempotency key -> the request number the server answered.
    acknowledged: Mutex<BTreeMap<String, String>>,
    /// Attempts that got no answer (the connection failed or was cut).
    unanswered: Mutex<usize>,
}

/// One submission attempt; the request number when the server acknowledged it.
async fn submit(client: &reqwest::Client, load: &Load, key: &str) -> Option<String> {
    let base = load.base.read().unwrap().clone();
    let answer = client
        .post(format!("{base}/graphql"))
        .bearer_auth(&load.token)
        .json(&json!({"query": SUBMIT, "variables": {"input": {
            "workflow": "purchase-request",
            "fields": {"title": format!("crash {key}"), "category": "hardware", "amount": "120.00"},
            "idempotencyKey": key,
        }}}))
        .send()
        .await;
    let body: Value = match answer {
        Ok(resp) => resp.json().await.ok()?,
        Err(_) => {
            *load.unanswered.lock().unwrap() += 1;
            return None;
        }
    };
    body["data"]["submitRequest"]["number"]
        .as_str()
        .map(str::to_owned)
}

/// A client: submits its keys one after another, retrying each (same key) until it is
/// acknowledged or the budget is spent.
async fn client(load: Arc<Load>, keys: Vec<String>, deadline: Instant) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    for key in keys {
        loop {
            if let Some(number) = submit(&http, &load, &key).await {
                load.acknowledged
                    .lock()
                    .unwrap()
                    .insert(key.clone(), number);
                break;
            }
            if Instant::now() > deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_under_load_loses_and_duplicates_nothing() {
    let started = Instant::now();
    let deadline = started + BUDGET - Duration::from_secs(10);
    let db = databases::fresh_database("crash").await;
    eprintln!(
        "kill -9 under load on {}",
        if databases::on_postgres() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    let log = std::env::temp_dir().join(format!(
        "handoff-crash-{}.log",
        uuid::Uuid::now_v7().simple()
    ));
    let first = serve(&db, &log).await;
    let load = Arc::new(Load {
        base: RwLock::new(first.base.clone()),
        token: login(&first.base).await,
        acknowledged: Mutex::new(BTreeMap::new()),
        unanswered: Mutex::new(0),
    });
    let keys: Vec<String> = (0..REQUESTS).map(|i| format!("crash-{i:04}")).collect();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let mine = keys.iter().skip(c).step_by(CLIENTS).cloned().collect();
            tokio::spawn(client(load.clone(), mine, deadline))
        })
        .collect();

    // Kill mid-load.
    while load.acknowledged.lock().unwrap().len() < KILL_AFTER {
        assert!(
            Instant::now() < deadline,
            "the load did not start; see {}",
            log.display()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(first);
    let before_kill = load.acknowledged.lock().unwrap().clone();
    assert!(
        before_kill.len() < REQUESTS,
        "the server was killed after the load had finished"
    );

    // Restart on the same database; the clients resubmit what was not acknowledged.
    let second = serve(&db, &log).await;
    *load.base.write().unwrap() = second.base.clone();
    for c in clients {
        c.await.unwrap();
    }
    drop(second);
    let acknowledged = load.acknowledged.lock().unwrap().clone();
    assert_eq!(
        acknowledged.len(),
        REQUESTS,
        "not every submission was acknowledged within the budget; see {}",
        log.display()
    );
    assert!(
        *load.unanswered.lock().unwrap() > 0,
        "no submission was cut off: the kill came too late to test anything"
    );
    eprintln!(
        "{} acknowledged before the kill, {} attempts unanswered, all {REQUESTS} acknowledged \
         after {:?}",
        before_kill.len(),
        *load.unanswered.lock().unwrap(),
        started.elapsed()
    );
    for (key, number) in &before_kill {
        assert_eq!(
            acknowledged.get(key),
            Some(number),
            "{key} changed its answer"
        );
    }

    // 0 lost, 0 duplicated, no gaps: read the database itself.
    let conn = handoff_backend::db::open(&db).await.unwrap();
    let rows = conn
        .query_all_raw(handoff_backend::db::statement(
            &conn,
            "SELECT idempotency_key, number FROM requests WHERE idempotency_key LIKE 'crash-%'",
            vec![],
        ))
        .await
        .unwrap();
    let mut stored: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &rows {
        stored
            .entry(r.try_get("", "idempotency_key").unwrap())
            .or_default()
            .push(r.try_get("", "number").unwrap());
    }
    conn.close().await.unwrap();
    for (key, number) in &acknowledged {
        assert_eq!(
            stored.get(key),
            Some(&vec![number.clone()]),
            "{key}: acknowledged as {number}, stored as {:?}",
            stored.get(key)
        );
    }
    assert_eq!(rows.len(), REQUESTS, "requests nobody asked for exist");
    let mut numbers: Vec<usize> = acknowledged
        .values()
        .map(|n| n.trim_start_matches("PUR-").parse().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1..=REQUESTS).collect::<Vec<_>>(),
        "numbers have gaps"
    );

    // The trail survived the kill intact.
    let verify = Command::new(BIN)
        .args(["audit", "verify", "--database-url", &db])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        started.elapsed() < BUDGET,
        "took {:?}, over the budget",
        started.elapsed()
    );
    let _ = std::fs::remove_file(&log);
}
