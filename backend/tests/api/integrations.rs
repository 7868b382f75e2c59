//! Integrations end to end: real HTTP receivers on loopback started by each test, the outbox
//! worker driven by `run_pending` and the injected clock (never by sleeping), inbound hooks over
//! HTTP. The same tests run on SQLite and PostgreSQL.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::Duration;
use handoff_backend::jobs::outbox;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::*;

// ---------------------------------------------------------------------------------------------
// A receiver: records every call and answers from a script (then a default answer).

#[derive(Clone, Debug)]
struct Reply {
    status: u16,
    body: String,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn status(status: u16) -> Self {
        Self {
            status,
            body: String::new(),
            headers: vec![],
        }
    }
    fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: body.to_string(),
            headers: vec![("content-type", "application/json".into())],
        }
    }
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

#[derive(Clone, Debug)]
struct Call {
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Call {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

struct Script {
    calls: Vec<Call>,
    replies: VecDeque<Reply>,
    default: Reply,
}

#[derive(Clone)]
struct Receiver {
    url: String,
    script: Arc<Mutex<Script>>,
}

impl Receiver {
    async fn start(default: Reply) -> Receiver {
        let script = Arc::new(Mutex::new(Script {
            calls: vec![],
            replies: VecDeque::new(),
            default,
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let router = axum::Router::new()
            .fallback(receive)
            .with_state(script.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver { url, script }
    }
    fn then(&self, reply: Reply) -> &Self {
        self.script.lock().unwrap().replies.push_back(reply);
        self
    }
    fn calls(&self) -> Vec<Call> {
        self.script.lock().unwrap().calls.clone()
    }
}

async fn receive(
    State(script): State<Arc<Mutex<Script>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut s = script.lock().unwrap();
    s.calls.push(Call {
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        body: body.to_vec(),
    });
    let reply = s.replies.pop_front().unwrap_or_else(|| s.default.clone());
    let mut resp = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    for (name, value) in reply.headers {
        resp.headers_mut().insert(name, value.parse().unwrap());
    }
    resp
}

/// A loopback URL where nothing listens.
async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/down")
}

// ---------------------------------------------------------------------------------------------
// An independent Standard Webhooks verifier (not the server's code).

fn signatures_valid_for(call: &Call, secret: &str) -> bool {
    let key = B64
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .unwrap();
    let signed = format!(
        "{}.{}.{}",
        call.header("webhook-id"),
        call.header("webhook-timestamp"),
        String::from_utf8(call.body.clone()).unwrap()
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(signed.as_bytes());
    let expected = format!("v1,{}", B64.encode(mac.finalize().into_bytes()));
    call.header("webhook-signature")
        .split(' ')
        .any(|s| s == expected)
}

fn sign(secret: &str, id: &str, ts: i64, body: &str) -> String {
    let key = B64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.{body}").as_bytes());
    format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
}

// ---------------------------------------------------------------------------------------------
// Workflows and helpers.

const ORDERING: &str = r#"key: int-test
name: Integration test
prefix: INT
fields:
  - { key: title, label: Title, type: text, required: true }
  - { key: amount, label: Amount, type: money, currency: USD, required: true, min: 0 }
  - { key: po_number, label: PO number, type: text, intake: false }
statuses:
  - { key: new, label: New, category: open }
  - { key: ordering, label: Ordering, category: active }
  - { key: done, label: Done, category: done }
routing:
  - { team: procurement, priority: normal }
transitions:
  - { key: order, label: Order, from: new, to: ordering, by: team }
  - { key: complete, label: Complete, from: ordering, to: done, by: team }
actions:
  - on: "enter(ordering)"
    webhook: test-erp
    body: '{"request": "{{ number }}", "title": "{{ fields.title }}", "amount": {{ fields.amount }}}'
    capture: { po_number: "$.po_number" }
"#;

/// Every submission is delivered to `test-erp` at once (many deliveries, one call each).
const BULK: &str = r#"key: int-bulk
name: Bulk
prefix: BLK
fields:
  - { key: title, label: Title, type: text, required: true }
statuses:
  - { key: new, label: New, category: open }
  - { key: done, label: Done, category: done }
transitions:
  - { key: close, label: Close, from: new, to: done, by: team }
routing:
  - { team: procurement, priority: normal }
actions:
  - { on: submitted, webhook: test-erp, body: '{"n": "{{ number }}"}' }
"#;

const CHAT: &str = r#"key: int-chat
name: Chat
prefix: CHT
fields:
  - { key: title, label: Title, type: text, required: true }
statuses:
  - { key: new, label: New, category: open }
  - { key: done, label: Done, category: done }
transitions:
  - { key: close, label: Close, from: new, to: done, by: team }
routing:
  - { team: procurement, priority: normal }
actions:
  - { on: submitted, notify: requester, via: test-chat, message: "{{ number }} received: {{ fields.title }} from {{ requester.email }}" }
  - { on: submitted, notify: team }
"#;

const BROKEN: &str = r#"key: int-broken
name: Broken
prefix: BRK
fields:
  - { key: title, label: Title, type: text, required: true }
statuses:
  - { key: new, label: New, category: open }
  - { key: done, label: Done, category: done }
transitions:
  - { key: close, label: Close, from: new, to: done, by: team }
routing:
  - { team: procurement, priority: normal }
actions:
  - { on: submitted, webhook: nobody-configured-this }
  - { on: submitted, webhook: test-erp, body: '{"n": "{{ number "}' }
"#;

const DELIVERIES: &str = "query($id: ID) { request(id: $id) { fields events { kind actor { email } data }
    deliveries { id action integration state attempts lastError warning responseCode nextAttemptAt
                 deliveredAt webhookId attemptsLog { attempt statusCode error responseExcerpt } } } }";

struct Ctx {
    app: TestApp,
    admin: String,
    alice: String,
    bob: String,
}

async fn ctx_with(app: TestApp) -> Ctx {
    let admin = app.login(ADMIN).await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    for def in [ORDERING, BULK, CHAT, BROKEN] {
        app.publish(&admin, def).await;
    }
    Ctx {
        app,
        admin,
        alice,
        bob,
    }
}

async fn ctx() -> Ctx {
    ctx_with(TestApp::spawn().await).await
}

impl Ctx {
    /// Creates an integration; answers its secret.
    async fn integration(&self, key: &str, kind: &str, url: &str) -> Option<String> {
        let data = self
            .app
            .ok(
                &self.admin,
                "mutation($i: CreateIntegrationInput!) { createIntegration(input: $i) {
                    secret integration { key kind enabled signed } } }",
                json!({"i": {"key": key, "kind": kind, "url": url}}),
            )
            .await;
        data["createIntegration"]["secret"]
            .as_str()
            .map(str::to_owned)
    }

    /// Submits an `int-test` request and moves it into `ordering`; answers its id.
    async fn order(&self, title: &str, amount: &str) -> String {
        let req = self
            .app
            .submit(
                &self.alice,
                "int-test",
                json!({"title": title, "amount": amount}),
            )
            .await;
        let id = req["id"].as_str().unwrap().to_owned();
        self.app.transition(&self.bob, &id, "order", None).await;
        id
    }

    async fn request(&self, id: &str) -> Value {
        self.app
            .ok(&self.admin, DELIVERIES, json!({"id": id}))
            .await["request"]
            .clone()
    }

    async fn delivery(&self, id: &str) -> Value {
        self.request(id).await["deliveries"][0].clone()
    }

    fn advance(&self, secs: i64) {
        self.app.state.clock.advance(Duration::seconds(secs));
    }
}

fn kinds(req: &Value) -> Vec<String> {
    req["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_signed_delivery_verifies_and_its_capture_is_written_back() {
    let c = ctx().await;
    let erp = Receiver::start(Reply::json(200, json!({"po_number": "PO-1001"}))).await;
    let secret = c
        .integration("test-erp", "WEBHOOK", &erp.url)
        .await
        .unwrap();
    assert!(secret.starts_with("whsec_"));

    // A title that would break naive string templating.
    let title = "Desk \"lamp\" \\ {x}\n";
    let id = c.order(title, "120.00").await;
    let before = c.delivery(&id).await;
    assert_eq!(before["state"], "pending");
    assert_eq!(c.app.run_pending_jobs().await, 1);

    let calls = erp.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert!(signatures_valid_for(call, &secret), "signature: {call:?}");
    assert_eq!(call.header("webhook-id"), before["webhookId"]);
    assert_eq!(call.header("content-type"), "application/json");
    let ts: i64 = call.header("webhook-timestamp").parse().unwrap();
    assert!((ts - c.app.state.clock.now().timestamp()).abs() < 60);
    let body = call.json();
    assert_eq!(body["type"], "request.entered");
    assert_eq!(body["data"]["event"]["on"], "enter(ordering)");
    assert_eq!(body["data"]["request"]["status"], "ordering");
    assert_eq!(body["data"]["request"]["requester"]["email"], ALICE);
    let number = body["data"]["request"]["number"].as_str().unwrap();
    assert_eq!(
        body["data"]["body"],
        // The amount goes out as the exact decimal stored, trailing zeros and all.
        json!({"request": number, "title": title,
               "amount": serde_json::from_str::<Value>("120.00").unwrap()})
    );

    let req = c.request(&id).await;
    assert_eq!(req["fields"]["po_number"], "PO-1001");
    let d = &req["deliveries"][0];
    assert_eq!(d["state"], "delivered");
    assert_eq!(d["responseCode"], 200);
    assert!(d["warning"].is_null());
    assert_eq!(d["attemptsLog"].as_array().unwrap().len(), 1);
    let k = kinds(&req);
    let ok = k.iter().position(|k| k == "delivery_succeeded").unwrap();
    assert_eq!(k[ok + 1], "fields_updated");
    let captured = &req["events"][ok + 1];
    assert!(captured["actor"].is_null());
    assert_eq!(captured["data"]["integration"], "test-erp");
    assert_eq!(captured["data"]["changes"]["po_number"]["after"], "PO-1001");
    // Nothing is left to do, and the secret is not shown again.
    assert_eq!(c.app.run_pending_jobs().await, 0);
    let listed = c
        .app
        .ok(
            &c.admin,
            "{ integrations { key url signed enabled } }",
            json!({}),
        )
        .await;
    assert!(!listed.to_string().contains(&secret));
    assert_eq!(listed["integrations"][0]["signed"], true);
}

#[tokio::test]
async fn a_capture_that_matches_nothing_is_a_warning_not_a_failure() {
    let c = ctx().await;
    let erp = Receiver::start(Reply::json(200, json!({"order": 7}))).await;
    c.integration("test-erp", "WEBHOOK", &erp.url).await;
    let id = c.order("Chair", "80.00").await;
    c.app.run_pending_jobs().await;
    let d = c.delivery(&id).await;
    assert_eq!(d["state"], "delivered");
    assert!(
        d["warning"].as_str().unwrap().contains("matched nothing"),
        "{d}"
    );
    let req = c.request(&id).await;
    assert!(req["fields"]["po_number"].is_null());
    assert!(!kinds(&req).contains(&"fields_updated".to_owned()));
}

#[tokio::test]
async fn a_failing_receiver_is_retried_on_the_schedule_until_it_recovers() {
    let c = ctx().await;
    let erp = Receiver::start(Reply::json(200, json!({"po_number": "PO-9"}))).await;
    erp.then(Reply::status(500))
        .then(Reply::status(503).header("retry-after", "120"));
    c.integration("test-erp", "WEBHOOK", &erp.url).await;
    let id = c.order("Monitor", "300.00").await;

    assert_eq!(c.app.run_pending_jobs().await, 1);
    let d = c.delivery(&id).await;
    assert_eq!(d["state"], "pending");
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["lastError"], "the receiver answered 500");
    let next: chrono::DateTime<chrono::Utc> = d["nextAttemptAt"].as_str().unwrap().parse().unwrap();
    let wait = (next - c.app.state.clock.now()).num_milliseconds();
    assert!(
        (7_000..=12_500).contains(&wait),
        "first retry after 10 s ±20%: {wait} ms"
    );
    // Not due yet: nothing is sent.
    assert_eq!(c.app.run_pending_jobs().await, 0);
    c.advance(13);
    assert_eq!(c.app.run_pending_jobs().await, 1);
    // The receiver asked for 120 s, longer than the schedule's 1 min: its wish is honoured.
    c.advance(75);
    assert_eq!(c.app.run_pending_jobs().await, 0);
    c.advance(50);
    assert_eq!(c.app.run_pending_jobs().await, 1);

    let calls = erp.calls();
    assert_eq!(calls.len(), 3);
    assert!(
        calls
            .iter()
            .all(|x| x.header("webhook-id") == calls[0].header("webhook-id"))
    );
    let req = c.request(&id).await;
    let d = &req["deliveries"][0];
    assert_eq!(d["state"], "delivered");
    let codes: Vec<Value> = d["attemptsLog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["statusCode"].clone())
        .collect();
    assert_eq!(codes, vec![json!(500), json!(503), json!(200)]);
    let k = kinds(&req);
    assert_eq!(k.iter().filter(|k| *k == "delivery_failed").count(), 2);
    assert_eq!(k.iter().filter(|k| *k == "delivery_succeeded").count(), 1);
    assert_eq!(req["fields"]["po_number"], "PO-9");
}

#[tokio::test]
async fn a_receiver_down_past_the_schedule_is_dead_visible_and_can_be_replayed() {
    let c = ctx().await;
    c.integration("test-erp", "WEBHOOK", &closed_port_url().await)
        .await;
    let id = c.order("Server", "9000.00").await;
    let mut rounds = 0;
    loop {
        rounds += c.app.run_pending_jobs().await;
        let d = c.delivery(&id).await;
        if d["state"] == "dead" {
            break;
        }
        assert!(rounds <= outbox::MAX_ATTEMPTS as usize, "never died: {d}");
        // Past the longest delay (24 h + 20%).
        c.advance(29 * 3600);
    }
    assert_eq!(rounds, outbox::MAX_ATTEMPTS as usize);
    let req = c.request(&id).await;
    let d = &req["deliveries"][0];
    assert_eq!(d["attempts"], outbox::MAX_ATTEMPTS);
    assert!(d["nextAttemptAt"].is_null());
    assert!(
        d["lastError"]
            .as_str()
            .unwrap()
            .contains("could not connect"),
        "{d}"
    );
    assert!(
        !d["lastError"].as_str().unwrap().contains("127.0.0.1:"),
        "no URL in errors: {d}"
    );
    let failed: Vec<&Value> = req["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "delivery_failed")
        .collect();
    assert_eq!(failed.len(), outbox::MAX_ATTEMPTS as usize);
    assert_eq!(failed.last().unwrap()["data"]["dead"], true);
    let dead = c
        .app
        .ok(
            &c.admin,
            "{ deliveries(filter: {state: \"dead\"}) { id integration requestId } }",
            json!({}),
        )
        .await;
    assert_eq!(dead["deliveries"][0]["id"], d["id"]);

    // The receiver comes back at another address; an admin replays the delivery.
    let erp = Receiver::start(Reply::json(200, json!({"po_number": "PO-2"}))).await;
    c.app
        .ok(
            &c.admin,
            "mutation($i: UpdateIntegrationInput!) { updateIntegration(input: $i) { key } }",
            json!({"i": {"key": "test-erp", "url": erp.url}}),
        )
        .await;
    let replayed = c
        .app
        .ok(
            &c.admin,
            "mutation($id: ID!) { retryDelivery(id: $id) { state attempts webhookId } }",
            json!({"id": d["id"]}),
        )
        .await;
    assert_eq!(replayed["retryDelivery"]["state"], "pending");
    assert_eq!(c.app.run_pending_jobs().await, 1);
    assert_eq!(erp.calls()[0].header("webhook-id"), d["webhookId"]);
    let req = c.request(&id).await;
    assert_eq!(req["deliveries"][0]["state"], "delivered");
    assert_eq!(
        req["deliveries"][0]["attemptsLog"]
            .as_array()
            .unwrap()
            .len(),
        outbox::MAX_ATTEMPTS as usize + 1
    );
    let retried = req["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "delivery_retried")
        .unwrap();
    assert_eq!(retried["actor"]["email"], ADMIN);
    assert_eq!(retried["data"]["webhook_id"], d["webhookId"]);
}

#[tokio::test]
async fn a_410_gone_kills_the_delivery_and_disables_the_integration() {
    let c = ctx().await;
    let erp = Receiver::start(Reply::status(410)).await;
    c.integration("test-erp", "WEBHOOK", &erp.url).await;
    let first = c.order("Phone", "500.00").await;
    c.app.run_pending_jobs().await;
    let d = c.delivery(&first).await;
    assert_eq!(d["state"], "dead");
    assert_eq!(d["responseCode"], 410);
    let i = c
        .app
        .ok(
            &c.admin,
            "{ integrations { key enabled disabledReason } }",
            json!({}),
        )
        .await;
    assert_eq!(i["integrations"][0]["enabled"], false);
    assert!(
        i["integrations"][0]["disabledReason"]
            .as_str()
            .unwrap()
            .contains("410")
    );
    // Later deliveries are not sent while it is disabled; they fail visibly.
    let second = c.order("Phone 2", "500.00").await;
    c.app.run_pending_jobs().await;
    assert_eq!(erp.calls().len(), 1);
    let d = c.delivery(&second).await;
    assert_eq!(d["state"], "pending");
    assert!(d["lastError"].as_str().unwrap().contains("disabled"), "{d}");
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let c = ctx().await;
    let inside = Receiver::start(Reply::status(200)).await;
    let erp = Receiver::start(Reply::status(302).header("location", inside.url.clone())).await;
    erp.then(Reply::status(302).header("location", "http://169.254.169.254/latest/meta-data/"));
    c.integration("test-erp", "WEBHOOK", &erp.url).await;
    let first = c.order("Cable", "5.00").await;
    let second = c.order("Cable 2", "5.00").await;
    c.app.run_pending_jobs().await;
    for id in [first, second] {
        let d = c.delivery(&id).await;
        assert_eq!(d["state"], "pending");
        assert_eq!(d["responseCode"], 302);
        assert_eq!(d["lastError"], "the receiver answered 302");
    }
    assert_eq!(erp.calls().len(), 2);
    assert!(inside.calls().is_empty(), "the redirect was followed");
}

#[tokio::test]
async fn two_workers_on_one_database_send_each_attempt_once() {
    let c = ctx().await;
    let erp = Receiver::start(Reply::status(204)).await;
    c.integration("test-erp", "WEBHOOK", &erp.url).await;
    let n = 60;
    for i in 0..n {
        c.app
            .submit(&c.alice, "int-bulk", json!({"title": format!("bulk {i}")}))
            .await;
    }
    let state = c.app.state.clone();
    let worker = |owner: &'static str| {
        let state = state.clone();
        async move {
            let mut sent = 0;
            loop {
                let done = outbox::run_pending(&state, owner).await.unwrap();
                if done == 0 {
                    return sent;
                }
                sent += done;
            }
        }
    };
    let (a, b) = tokio::join!(
        tokio::spawn(worker("worker-a")),
        tokio::spawn(worker("worker-b"))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a + b, n, "worker a sent {a}, worker b sent {b}");
    let mut seen: HashMap<String, usize> = HashMap::new();
    for call in erp.calls() {
        *seen
            .entry(call.header("webhook-id").to_owned())
            .or_default() += 1;
    }
    assert_eq!(seen.len(), n);
    assert!(seen.values().all(|&count| count == 1), "{seen:?}");
    let delivered = c
        .app
        .ok(
            &c.admin,
            "{ deliveries(filter: {state: \"delivered\"}, first: 200) { id attempts } }",
            json!({}),
        )
        .await;
    assert_eq!(delivered["deliveries"].as_array().unwrap().len(), n);
}

#[tokio::test]
async fn a_worker_that_dies_after_sending_is_replaced_after_its_lease_with_the_same_webhook_id() {
    let c = ctx().await;
    let erp = Receiver::start(Reply::status(200)).await;
    c.integration("test-erp", "WEBHOOK", &erp.url).await;
    let id = c.order("Desk", "400.00").await;
    let state = &c.app.state;

    let claimed = outbox::claim(state, "doomed", 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let outcome = outbox::attempt(state, &claimed[0]).await.unwrap();
    assert!(outcome.succeeded());
    // ... and the worker dies before recording. Its lease still holds the row.
    assert_eq!(c.app.run_pending_jobs().await, 0);
    c.advance(outbox::LEASE_SECS + 1);
    assert_eq!(c.app.run_pending_jobs().await, 1);
    let calls = erp.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].header("webhook-id"), calls[1].header("webhook-id"));
    let d = c.delivery(&id).await;
    assert_eq!(d["state"], "delivered");
    assert_eq!(d["attemptsLog"].as_array().unwrap().len(), 1);
    // The dead worker's late report is refused: the attempt is recorded once.
    assert!(
        !outbox::record(state, "doomed", &claimed[0], outcome)
            .await
            .unwrap()
    );
    assert_eq!(
        c.delivery(&id).await["attemptsLog"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn secret_rotation_signs_with_both_secrets_during_the_overlap() {
    let c = ctx().await;
    let erp = Receiver::start(Reply::status(200)).await;
    let old = c
        .integration("test-erp", "WEBHOOK", &erp.url)
        .await
        .unwrap();
    let rotated = c
        .app
        .ok(
            &c.admin,
            "mutation { rotateIntegrationSecret(input: {key: \"test-erp\", overlapMinutes: 60}) {
                secret integration { previousSecretExpiresAt } } }",
            json!({}),
        )
        .await;
    let new = rotated["rotateIntegrationSecret"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new, old);
    c.order("A", "1.00").await;
    c.app.run_pending_jobs().await;
    c.advance(61 * 60);
    c.order("B", "1.00").await;
    c.app.run_pending_jobs().await;
    let calls = erp.calls();
    assert_eq!(calls[0].header("webhook-signature").split(' ').count(), 2);
    assert!(signatures_valid_for(&calls[0], &old));
    assert!(signatures_valid_for(&calls[0], &new));
    assert_eq!(calls[1].header("webhook-signature").split(' ').count(), 1);
    assert!(signatures_valid_for(&calls[1], &new));
    assert!(!signatures_valid_for(&calls[1], &old));
}

#[tokio::test]
async fn unknown_integrations_and_broken_templates_are_visible_failures() {
    let c = ctx().await;
    let erp = Receiver::start(Reply::status(200)).await;
    c.integration("test-erp", "WEBHOOK", &erp.url).await;
    let req = c
        .app
        .submit(&c.alice, "int-broken", json!({"title": "x"}))
        .await;
    let id = req["id"].as_str().unwrap();
    c.app.run_pending_jobs().await;
    let req = c.request(id).await;
    let ds = req["deliveries"].as_array().unwrap();
    let unknown = ds
        .iter()
        .find(|d| d["integration"] == "nobody-configured-this")
        .unwrap();
    assert_eq!(unknown["state"], "pending");
    assert!(
        unknown["lastError"]
            .as_str()
            .unwrap()
            .contains("no integration \"nobody-configured-this\""),
        "{unknown}"
    );
    let broken = ds.iter().find(|d| d["integration"] == "test-erp").unwrap();
    assert_eq!(broken["state"], "dead");
    assert!(
        broken["lastError"]
            .as_str()
            .unwrap()
            .contains("template error in actions[1].body"),
        "{broken}"
    );
    assert!(erp.calls().is_empty());
}

#[tokio::test]
async fn a_chat_message_and_in_app_notifications_reach_the_people_named() {
    let c = ctx().await;
    let chat = Receiver::start(Reply::status(200)).await;
    let secret = c.integration("test-chat", "CHAT", &chat.url).await;
    assert!(
        secret.is_none(),
        "a chat integration has no secret unless given"
    );
    let req = c
        .app
        .submit(&c.alice, "int-chat", json!({"title": "Badge"}))
        .await;
    let number = req["number"].as_str().unwrap();
    c.app.run_pending_jobs().await;
    let calls = chat.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].json(),
        json!({"text": format!("{number} received: Badge from {ALICE}")})
    );
    assert!(calls[0].header("webhook-signature").is_empty());

    let q = "query($u: Boolean) { notifications(unreadOnly: $u) { id message readAt request { number } } }";
    let mine = c.app.ok(&c.alice, q, json!({"u": true})).await;
    let list = mine["notifications"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0]["message"],
        format!("{number} received: Badge from {ALICE}")
    );
    assert_eq!(list[0]["request"]["number"], number);
    // `notify: team` without a message tells the procurement team with a default text.
    let bobs = c.app.ok(&c.bob, q, json!({"u": true})).await;
    assert_eq!(
        bobs["notifications"][0]["message"],
        format!("{number} was submitted: Badge")
    );
    // Alice cannot mark Bob's notification; she marks her own.
    let marked = c
        .app
        .ok(
            &c.alice,
            "mutation($i: MarkNotificationsReadInput!) { markNotificationsRead(input: $i) { id readAt } }",
            json!({"i": {"ids": [list[0]["id"], bobs["notifications"][0]["id"]]}}),
        )
        .await;
    assert_eq!(marked["markNotificationsRead"].as_array().unwrap().len(), 1);
    assert!(!marked["markNotificationsRead"][0]["readAt"].is_null());
    let unread = c.app.ok(&c.alice, q, json!({"u": true})).await;
    assert!(unread["notifications"].as_array().unwrap().is_empty());
    let bobs = c.app.ok(&c.bob, q, json!({"u": true})).await;
    assert_eq!(bobs["notifications"].as_array().unwrap().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Inbound hooks.

async fn create_hook(c: &Ctx, signed: bool) -> (String, String, Option<String>) {
    let data = c
        .app
        .ok(
            &c.admin,
            "mutation($i: CreateInboundHookInput!) { createInboundHook(input: $i) {
                token path secret hook { id workflow signed } } }",
            json!({"i": {"workflow": "int-test", "name": "ERP intake", "signed": signed}}),
        )
        .await;
    let h = &data["createInboundHook"];
    (
        h["hook"]["id"].as_str().unwrap().to_owned(),
        format!("{}{}", c.app.base, h["path"].as_str().unwrap()),
        h["secret"].as_str().map(str::to_owned),
    )
}

async fn post(c: &Ctx, url: &str, body: &str, headers: &[(&str, String)]) -> (u16, Value) {
    let mut req = c
        .app
        .client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_inbound_hook_creates_one_request_per_idempotency_key() {
    let c = ctx().await;
    let (hook_id, url, secret) = create_hook(&c, false).await;
    assert!(secret.is_none());
    let body = r#"{"title": "From the ERP", "amount": "42.00", "status": "done", "number": "X-1", "priority": "urgent"}"#;
    let key = [("idempotency-key", "erp-123".to_owned())];
    let (status, first) = post(&c, &url, body, &key).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = post(&c, &url, body, &key).await;
    assert_eq!(status, 201);
    assert_eq!(first, again);
    assert!(first["number"].as_str().unwrap().starts_with("INT-"));
    let req = c
        .app
        .ok(
            &c.admin,
            "query($id: ID) { request(id: $id) { status { key } priority fields requester { email } } }",
            json!({"id": first["id"]}),
        )
        .await;
    assert_eq!(req["request"]["status"]["key"], "new");
    assert_eq!(req["request"]["priority"], "NORMAL");
    assert_eq!(req["request"]["fields"]["title"], "From the ERP");
    let list = c
        .app
        .ok(
            &c.admin,
            "{ requests(filter: {workflow: \"int-test\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(list["requests"]["totalCount"], 1);

    // The same form validation as everywhere.
    let (status, err) = post(&c, &url, r#"{"title": "x", "amount": "lots"}"#, &[]).await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["code"], "VALIDATION_FAILED");
    assert_eq!(err["error"]["fields"][0]["path"], "fields.amount");
    // Strictly JSON.
    let resp = c
        .app
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 415);
    // A wrong token, or the right token on another workflow.
    let (status, err) = post(
        &c,
        &format!("{}/hooks/int-test/hnh_nope", c.app.base),
        body,
        &[],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(err["error"]["code"], "UNAUTHENTICATED");
    let other = url.replace("/hooks/int-test/", "/hooks/int-bulk/");
    assert_eq!(post(&c, &other, body, &[]).await.0, 401);
    // Revoked.
    c.app
        .ok(
            &c.admin,
            "mutation($id: ID!) { revokeInboundHook(id: $id) { revokedAt } }",
            json!({"id": hook_id}),
        )
        .await;
    let (status, _) = post(&c, &url, body, &[("idempotency-key", "erp-124".to_owned())]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_signed_inbound_hook_refuses_unsigned_and_tampered_calls() {
    let c = ctx().await;
    let (_, url, secret) = create_hook(&c, true).await;
    let secret = secret.unwrap();
    let body = r#"{"title": "Signed", "amount": "1.00"}"#;
    let now = c.app.state.clock.now().timestamp();
    let (status, err) = post(&c, &url, body, &[]).await;
    assert_eq!(status, 401, "{err}");
    let headers = |id: &str, ts: i64, sig: String| {
        vec![
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", ts.to_string()),
            ("webhook-signature", sig),
        ]
    };
    // Signed for another body.
    let tampered = headers(
        "msg_1",
        now,
        sign(&secret, "msg_1", now, r#"{"title": "Other"}"#),
    );
    assert_eq!(post(&c, &url, body, &tampered).await.0, 401);
    // Signed, but ten minutes old.
    let old = headers("msg_1", now - 600, sign(&secret, "msg_1", now - 600, body));
    assert_eq!(post(&c, &url, body, &old).await.0, 401);
    // Signed with another secret.
    let other = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let wrong = headers("msg_1", now, sign(other, "msg_1", now, body));
    assert_eq!(post(&c, &url, body, &wrong).await.0, 401);
    let good = headers("msg_1", now, sign(&secret, "msg_1", now, body));
    let (status, created) = post(&c, &url, body, &good).await;
    assert_eq!(status, 201, "{created}");
    // The webhook-id makes a retry answer the same request.
    let (status, again) = post(&c, &url, body, &good).await;
    assert_eq!(status, 201);
    assert_eq!(created, again);
}

// ---------------------------------------------------------------------------------------------
// Safety.

#[tokio::test]
async fn internal_addresses_are_refused_at_save_and_at_connect_time() {
    let c =
        ctx_with(TestApp::spawn_with_config(true, |cfg| cfg.outbound_allow.clear()).await).await;
    let receiver = Receiver::start(Reply::status(200)).await;
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    for url in [
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
        "http://localhost/".to_owned(),
        "http://[::1]/".to_owned(),
        "http://192.168.1.20/hook".to_owned(),
        receiver.url.clone(),
        "ftp://example.com/".to_owned(),
        "not a url".to_owned(),
    ] {
        let (code, err) = c
            .app
            .fails(
                Some(&c.admin),
                "mutation($i: CreateIntegrationInput!) { createIntegration(input: $i) { secret } }",
                json!({"i": {"key": "test-erp", "kind": "WEBHOOK", "url": url}}),
            )
            .await;
        assert_eq!(code, "VALIDATION_FAILED", "{url}: {err}");
        assert_eq!(err["extensions"]["fields"][0]["path"], "input.url", "{url}");
    }
    // Rows saved before the policy changed (or names whose DNS changed) are refused when
    // connecting: an IP literal is checked before sending, a name after resolving.
    use handoff_backend::db::entities::integration;
    use sea_orm::{ActiveModelTrait, Set};
    for (key, url) in [
        ("test-erp", receiver.url.clone()),
        ("test-chat", format!("http://localhost:{port}/hook")),
    ] {
        let now = c.app.state.clock.now();
        integration::ActiveModel {
            id: Set(handoff_backend::db::new_id()),
            key: Set(key.into()),
            kind: Set(handoff_backend::db::enums::IntegrationKind::Webhook),
            url: Set(url),
            secret: Set(None),
            previous_secret: Set(None),
            previous_secret_expires_at: Set(None),
            enabled: Set(true),
            disabled_reason: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&c.app.state.db)
        .await
        .unwrap();
    }
    let id = c.order("Probe", "1.00").await;
    let chat = c
        .app
        .submit(&c.alice, "int-chat", json!({"title": "Probe"}))
        .await;
    c.app.run_pending_jobs().await;
    assert!(
        receiver.calls().is_empty(),
        "an internal address was called"
    );
    let d = c.delivery(&id).await;
    assert!(d["lastError"].as_str().unwrap().contains("loopback"), "{d}");
    let d = c.delivery(chat["id"].as_str().unwrap()).await;
    assert!(
        d["lastError"]
            .as_str()
            .unwrap()
            .contains("refused addresses"),
        "{d}"
    );
}

// ---------------------------------------------------------------------------------------------
// Measurement (printed, not asserted).

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::test]
async fn delivery_throughput_and_lag_are_measured() {
    let c = ctx().await;
    let erp = Receiver::start(Reply::status(200)).await;
    c.integration("test-erp", "WEBHOOK", &erp.url).await;
    let db = if on_postgres() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let n = 200;

    // 1. A backlog: n deliveries queued, then drained by one worker.
    for i in 0..n {
        c.app
            .submit(
                &c.alice,
                "int-bulk",
                json!({"title": format!("backlog {i}")}),
            )
            .await;
    }
    let started = Instant::now();
    let mut sent = 0;
    while sent < n {
        sent += c.app.run_pending_jobs().await;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "[{db}] backlog: {n} deliveries in {secs:.2} s = {:.0} deliveries/s (one worker, {} in flight)",
        n as f64 / secs,
        outbox::CONCURRENCY
    );

    // 2. Live: the background loop of `handoff serve` (polling every 100 ms here, 1 s in
    //    `serve`) while requests are submitted; lag = event to recorded delivery.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(outbox::run_worker(
        c.app.state.clone(),
        "live".into(),
        std::time::Duration::from_millis(100),
        stopped,
    ));
    let started = Instant::now();
    for i in 0..n {
        c.app
            .submit(&c.alice, "int-bulk", json!({"title": format!("live {i}")}))
            .await;
    }
    loop {
        let all_done = c
            .app
            .ok(
                &c.admin,
                "{ deliveries(filter: {state: \"pending\"}) { id } }",
                json!({}),
            )
            .await["deliveries"]
            .as_array()
            .unwrap()
            .is_empty()
            && erp.calls().len() >= 2 * n;
        if all_done {
            let done = c
                .app
                .ok(
                    &c.admin,
                    "{ deliveries(filter: {state: \"delivered\"}, first: 200) { createdAt deliveredAt } }",
                    json!({}),
                )
                .await;
            // Newest first: the first n are this phase's.
            let rows = done["deliveries"].as_array().unwrap().clone();
            let mut lags: Vec<f64> = rows
                .iter()
                .take(n)
                .map(|d| {
                    let created: chrono::DateTime<chrono::Utc> =
                        d["createdAt"].as_str().unwrap().parse().unwrap();
                    let delivered: chrono::DateTime<chrono::Utc> =
                        d["deliveredAt"].as_str().unwrap().parse().unwrap();
                    (delivered - created).num_microseconds().unwrap() as f64 / 1000.0
                })
                .collect();
            lags.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let secs = started.elapsed().as_secs_f64();
            println!(
                "[{db}] live: {n} submissions and deliveries in {secs:.2} s; lag event to delivery p50 {:.0} ms, p90 {:.0} ms, max {:.0} ms",
                percentile(&lags, 0.5),
                percentile(&lags, 0.9),
                lags.last().copied().unwrap_or(0.0)
            );
            break;
        }
        assert!(
            started.elapsed().as_secs() < 120,
            "live deliveries did not finish"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    stop.send(true).unwrap();
    worker.await.unwrap();
}
