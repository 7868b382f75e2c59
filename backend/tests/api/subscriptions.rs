//! `requestChanged` over the graphql-transport-ws protocol.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::*;

async fn next_json(
    ws: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin),
) -> Value {
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .expect("stream open")
            .expect("valid frame");
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a graphql-transport-ws session as the token's user and subscribes to
/// `requestChanged(filter: $filter)`.
async fn subscribe(app: &TestApp, token: &str, filter: Value) -> Socket {
    let url = format!("{}/graphql", app.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let init =
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    ws.send(Message::Text(init.to_string().into()))
        .await
        .unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "connection_ack");
    let query = "subscription($f: RequestFilter) {
        requestChanged(filter: $f) { number kind status request { title } } }";
    let subscribe = json!({"id": "1", "type": "subscribe",
                           "payload": {"query": query, "variables": {"f": filter}}});
    ws.send(Message::Text(subscribe.to_string().into()))
        .await
        .unwrap();
    ws
}

/// The next change a subscription delivers: `{number, kind, status, request}`.
async fn next_change(ws: &mut Socket) -> Value {
    let msg = next_json(ws).await;
    assert_eq!(msg["type"], "next", "{msg}");
    msg["payload"]["data"]["requestChanged"].clone()
}

#[tokio::test]
async fn subscribers_see_changes_to_requests_they_may_read() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let erin = app.login(ERIN).await;
    let mut bob_ws = subscribe(&app, &bob, Value::Null).await;
    let mut erin_ws = subscribe(&app, &erin, Value::Null).await;
    // Give the subscriptions a moment to register before publishing (the server has no ack for it).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let r = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let change = next_change(&mut bob_ws).await;
    assert_eq!(change["number"], r["number"]);
    assert_eq!(change["kind"], "submitted");
    assert_eq!(change["request"]["title"], "Desk lamp");
    app.transition(&bob, r["id"].as_str().unwrap(), "send_for_approval", None)
        .await;
    assert_eq!(next_change(&mut bob_ws).await["status"], "approval");
    // Erin (finance) may not read a procurement request: her stream stays silent.
    let silent = tokio::time::timeout(std::time::Duration::from_millis(500), erin_ws.next()).await;
    assert!(silent.is_err(), "erin received {silent:?}");
}

#[tokio::test]
async fn subscriptions_honour_priority_and_assignee_filters() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let bob_id = app.user_id(&bob).await;
    let mut high_ws = subscribe(&app, &bob, json!({"priority": "HIGH"})).await;
    let mut mine_ws = subscribe(&app, &bob, json!({"assignee": "me"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // Both requests route to procurement, which Bob reads; only the one over 10,000 is HIGH, and
    // neither is assigned yet.
    let small = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let large = app
        .submit(
            &alice,
            "purchase-request",
            json!({"title": "Servers", "category": "hardware", "amount": "12500.50",
                   "justification": "capacity"}),
        )
        .await;
    assert_eq!(
        (small["priority"].as_str(), large["priority"].as_str()),
        (Some("NORMAL"), Some("HIGH"))
    );
    let assign = |id: &Value| {
        app.ok(
            &bob,
            "mutation($i: AssignInput!) { assign(input: $i) { id } }",
            json!({"i": {"requestId": id, "userId": bob_id}}),
        )
    };
    assign(&small["id"]).await;
    assign(&large["id"]).await;
    // A stream delivers changes in commit order, so the first change each one hears shows
    // that every earlier change was filtered out.
    let first = next_change(&mut high_ws).await;
    assert_eq!(
        (&first["number"], &first["kind"]),
        (&large["number"], &json!("submitted"))
    );
    let second = next_change(&mut high_ws).await;
    assert_eq!(
        (&second["number"], &second["kind"]),
        (&large["number"], &json!("assigned")),
        "claiming the NORMAL request is not a HIGH change"
    );
    let first = next_change(&mut mine_ws).await;
    assert_eq!(
        (&first["number"], &first["kind"]),
        (&small["number"], &json!("assigned")),
        "submissions of unassigned requests are not Bob's"
    );
    let second = next_change(&mut mine_ws).await;
    assert_eq!(
        (&second["number"], &second["kind"]),
        (&large["number"], &json!("assigned"))
    );
}
