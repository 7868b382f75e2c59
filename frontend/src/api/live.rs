//! Live updates: a minimal `graphql-transport-ws` client for the `requestChanged` subscription.
//!
//! It carries no data to the page on purpose: a change only tells the page to refetch, so what
//! is shown always comes from the same queries (and the same access rules) as a normal load.
//! When the socket closes the page simply stops refreshing live; a reload reconnects.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{MessageEvent, WebSocket};

use super::session;

const SUBSCRIPTION: &str =
    "subscription { requestChanged { requestId number kind status version } }";

/// An open subscription; dropping it closes the socket.
pub struct Live {
    socket: WebSocket,
    // Kept alive as long as the socket: the browser calls them.
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Drop for Live {
    fn drop(&mut self) {
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        let _ = self.socket.close();
    }
}

fn socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/graphql", location.host().ok()?))
}

/// Subscribes to request changes the signed-in user may read and calls `on_change` for each.
/// Answers `None` when there is no session or the browser refuses the socket.
pub fn request_changes(on_change: impl Fn() + 'static) -> Option<Live> {
    let token = session::current()?.token;
    let socket = WebSocket::new_with_str(&socket_url()?, "graphql-transport-ws").ok()?;

    let init_socket = socket.clone();
    let on_open = Closure::<dyn FnMut()>::new(move || {
        let init = serde_json::json!({
            "type": "connection_init",
            "payload": { "authorization": format!("Bearer {token}") },
        });
        let _ = init_socket.send_with_str(&init.to_string());
    });

    let reply_socket = socket.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let Some(text) = event.data().as_string() else {
            return;
        };
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&text) else {
            return;
        };
        match message.get("type").and_then(|t| t.as_str()) {
            Some("connection_ack") => {
                let subscribe = serde_json::json!({
                    "id": "1",
                    "type": "subscribe",
                    "payload": { "query": SUBSCRIPTION },
                });
                let _ = reply_socket.send_with_str(&subscribe.to_string());
            }
            Some("ping") => {
                let _ = reply_socket.send_with_str(r#"{"type":"pong"}"#);
            }
            Some("next") => on_change(),
            _ => {}
        }
    });

    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    Some(Live {
        socket,
        _on_open: on_open,
        _on_message: on_message,
    })
}
