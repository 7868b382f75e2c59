//! Attacks on the HTTP layer: connections that never finish their head, cross-site posts in
//! the content types a browser sends without asking, and pages framed or sniffed by another
//! site. Each test is the attack, then what the server answers.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

/// The first 16 KiB a connection sends back before it ends (or until `limit` passes).
async fn read_until_closed(stream: &mut tokio::net::TcpStream, limit: Duration) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    let read_all = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) if seen.len() < 16 * 1024 => seen.extend_from_slice(&buf[..n]),
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(limit, read_all)
        .await
        .expect("the server closed the connection");
    seen
}

fn address(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn a_connection_that_sends_half_a_head_is_closed() {
    let app = TestApp::spawn_with_config(false, |c| c.header_timeout_secs = 1).await;
    let mut stream = tokio::net::TcpStream::connect(address(&app)).await.unwrap();
    // Slowloris: a request line and one header, then nothing more.
    stream
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: handoff\r\n")
        .await
        .unwrap();
    // A generous bound: the timeout is 1 s.
    read_until_closed(&mut stream, Duration::from_secs(20)).await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let app = TestApp::spawn_with_config(false, |c| c.header_timeout_secs = 1).await;
    let mut stream = tokio::net::TcpStream::connect(address(&app)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: handoff\r\n\r\n")
        .await
        .unwrap();
    // The answer comes, then the connection waits for a next request that never comes.
    let answer = read_until_closed(&mut stream, Duration::from_secs(20)).await;
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
}

async fn post_as(app: &TestApp, content_type: &str, body: String) -> reqwest::Response {
    app.client
        .post(format!("{}/graphql", app.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A page on another site can make a signed-in browser post these three types without a
/// CORS preflight. None of them reaches the schema: 415 and the usual error shape.
#[tokio::test]
async fn mutations_posted_as_a_form_or_plain_text_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.login(ADMIN).await;
    let mutation =
        json!({"query": "mutation { createTeam(input: {key: \"csrf\", name: \"CSRF\"}) { key } }"})
            .to_string();
    let multipart = format!(
        "--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{mutation}\r\n--x--\r\n"
    );
    for (content_type, body) in [
        ("text/plain", mutation.clone()),
        ("text/plain;charset=UTF-8", mutation.clone()),
        ("multipart/form-data; boundary=x", multipart),
        (
            "application/x-www-form-urlencoded",
            format!("query={}", mutation),
        ),
    ] {
        let resp = app
            .client
            .post(format!("{}/graphql", app.base))
            .bearer_auth(&admin)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 415, "{content_type}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "VALIDATION_FAILED", "{body}");
        assert_eq!(body["error"]["fields"][0]["path"], "headers.content-type");
    }
    let teams = app.ok(&admin, "{ teams { key } }", json!({})).await;
    assert!(
        !teams["teams"].to_string().contains("csrf"),
        "no refused post created anything"
    );
    // JSON, with or without a charset, is the way in.
    let ok = post_as(
        &app,
        "application/json; charset=utf-8",
        json!({"query": "{ __typename }"}).to_string(),
    )
    .await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn every_answer_carries_the_browser_headers() {
    let app = TestApp::spawn().await;
    let get = |path: &'static str| app.client.get(format!("{}{path}", app.base)).send();
    let graphql = post_as(
        &app,
        "application/json",
        json!({"query": "{ __typename }"}).to_string(),
    )
    .await;
    let responses = [
        ("POST /graphql", graphql),
        ("GET /healthz", get("/healthz").await.unwrap()),
        ("GET /", get("/").await.unwrap()),
        ("GET /requests/PUR-1", get("/requests/PUR-1").await.unwrap()),
        ("GET /graphql", get("/graphql").await.unwrap()),
    ];
    for (what, resp) in &responses {
        let h = resp.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(csp.contains("object-src 'none'"), "{what}: {csp}");
        assert!(!csp.contains(" 'unsafe-eval'"), "{what}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
        assert_eq!(h["x-frame-options"], "DENY", "{what}");
    }
    // The web app: scripts of this origin and WebAssembly, nothing inline.
    let app_csp = responses[2].1.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        app_csp.contains("script-src 'self' 'wasm-unsafe-eval';"),
        "{app_csp}"
    );
    // API answers are never stored; the app's page is revalidated, never `no-store`d.
    for (what, resp) in &responses[..2] {
        assert_eq!(resp.headers()["cache-control"], "no-store", "{what}");
    }
    assert_ne!(
        responses[2]
            .1
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
}

/// The explorer keeps working under its own policy: scripts from files only, and the boot
/// script it loads is served.
#[tokio::test]
async fn the_explorer_page_boots_from_files_under_its_own_policy() {
    let app = TestApp::spawn_with(false).await;
    let page = app
        .client
        .get(format!("{}/graphql", app.base))
        .send()
        .await
        .unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = page.text().await.unwrap();
    if html.contains("/explorer/handoff-explorer.js") {
        // The explorer embedded in the binary: no inline script may run.
        assert!(
            !csp.contains("'unsafe-inline' https") && csp.contains("script-src 'self';"),
            "{csp}"
        );
        assert!(!html.contains("<script>"), "no inline script: {html}");
        let boot = app
            .client
            .get(format!("{}/explorer/handoff-explorer.js", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(boot.status(), 200);
        assert!(
            boot.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/javascript")
        );
    } else {
        // A binary built without the web app loads GraphiQL from its CDN.
        assert!(csp.contains("https://unpkg.com"), "{csp}");
    }
}
