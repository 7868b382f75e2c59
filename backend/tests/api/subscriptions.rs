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

#[tokio::test]
async fn subscribers_see_changes_to_requests_they_may_read() {
    let app = TestApp::spawn().await;
    let alice = app.login(ALICE).await;
    let bob = app.login(BOB).await;
    let erin = app.login(ERIN).await;
    let url = format!("{}/graphql", app.base.replace("http://", "ws://"));
    let connect = |token: String| {
        let url = url.clone();
        async move {
            let mut req = url.into_client_request().unwrap();
            req.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                "graphql-transport-ws".parse().unwrap(),
            );
            let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
            ws.send(Message::Text(json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}}).to_string().into()))
                .await
                .unwrap();
            assert_eq!(next_json(&mut ws).await["type"], "connection_ack");
            ws.send(Message::Text(
                json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { requestChanged { number kind status request { title } } }"}})
                    .to_string()
                    .into(),
            ))
            .await
            .unwrap();
            ws
        }
    };
    let mut bob_ws = connect(bob.clone()).await;
    let mut erin_ws = connect(erin.clone()).await;
    // Give the subscriptions a moment to register before publishing (the server has no ack for it).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let r = app
        .submit(&alice, "purchase-request", small_purchase())
        .await;
    let msg = next_json(&mut bob_ws).await;
    assert_eq!(msg["type"], "next", "{msg}");
    assert_eq!(
        msg["payload"]["data"]["requestChanged"]["number"],
        r["number"]
    );
    assert_eq!(
        msg["payload"]["data"]["requestChanged"]["kind"],
        "submitted"
    );
    assert_eq!(
        msg["payload"]["data"]["requestChanged"]["request"]["title"],
        "Desk lamp"
    );
    app.transition(&bob, r["id"].as_str().unwrap(), "send_for_approval", None)
        .await;
    let msg = next_json(&mut bob_ws).await;
    assert_eq!(
        msg["payload"]["data"]["requestChanged"]["status"],
        "approval"
    );
    // Erin (finance) may not read a procurement request: her stream stays silent.
    let silent = tokio::time::timeout(std::time::Duration::from_millis(500), erin_ws.next()).await;
    assert!(silent.is_err(), "erin received {silent:?}");
}
