//! Live updates: a minimal `graphql-transport-ws` client for the `requestChanged` subscription.
//!
//! It carries no data to the page on purpose: a change only tells the page to refetch, so what
//! is shown always comes from the same queries (and the same access rules) as a normal load.
//!
//! When the socket drops (server restart, network change, proxy timeout) it reconnects with
//! exponential backoff (1 s, 2 s, 4 s ... capped at 30 s, with jitter so a restarted server is
//! not hit by every tab at once). Changes made while it was away are not replayed by the
//! server, so after a *re*connection the page is told to refetch once. Without a session it
//! stops: the next API call sends the user to the sign-in page anyway.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use leptos::prelude::{TimeoutHandle, set_timeout_with_handle};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use super::session;

const SUBSCRIPTION: &str =
    "subscription { requestChanged { requestId number kind status version } }";

/// The first wait before reconnecting; doubled after each failed attempt.
const FIRST_DELAY_MS: f64 = 1_000.0;
/// The longest wait between attempts.
const MAX_DELAY_MS: f64 = 30_000.0;

/// The browser callbacks of one socket; kept as long as that socket, since the browser calls
/// them.
struct Handlers {
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

struct Inner {
    on_change: Rc<dyn Fn()>,
    socket: Option<WebSocket>,
    handlers: Option<Handlers>,
    /// The pending reconnection, if one is scheduled.
    timer: Option<TimeoutHandle>,
    /// Failed attempts since the last acknowledged connection (sets the backoff).
    attempt: u32,
    /// Whether a connection was ever acknowledged: the next one is a reconnection.
    connected_before: bool,
    /// Set when the page is done with the subscription; nothing reconnects after it.
    stopped: bool,
}

/// An open (or reconnecting) subscription; dropping it closes the socket for good.
pub struct Live {
    inner: Rc<RefCell<Inner>>,
}

impl Drop for Live {
    fn drop(&mut self) {
        let mut inner = self.inner.borrow_mut();
        inner.stopped = true;
        if let Some(timer) = inner.timer.take() {
            timer.clear();
        }
        if let Some(socket) = inner.socket.take() {
            detach(&socket);
            let _ = socket.close();
        }
        inner.handlers = None;
    }
}

/// Removes a socket's callbacks, so a closing socket calls nothing that is being dropped.
fn detach(socket: &WebSocket) {
    socket.set_onopen(None);
    socket.set_onmessage(None);
    socket.set_onclose(None);
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

/// Subscribes to request changes the signed-in user may read and calls `on_change` for each
/// (and once after every reconnection). Answers `None` when there is no session.
pub fn request_changes(on_change: impl Fn() + 'static) -> Option<Live> {
    session::current()?;
    let inner = Rc::new(RefCell::new(Inner {
        on_change: Rc::new(on_change),
        socket: None,
        handlers: None,
        timer: None,
        attempt: 0,
        connected_before: false,
        stopped: false,
    }));
    connect(&inner);
    Some(Live { inner })
}

/// Opens a socket and wires its callbacks; on failure schedules the next attempt.
fn connect(inner: &Rc<RefCell<Inner>>) {
    if inner.borrow().stopped {
        return;
    }
    // Signed out or expired meanwhile: reconnecting would only be refused.
    if session::current().is_none() {
        return;
    }
    let Some(socket) =
        socket_url().and_then(|url| WebSocket::new_with_str(&url, "graphql-transport-ws").ok())
    else {
        schedule(inner);
        return;
    };
    let weak = Rc::downgrade(inner);

    let init_socket = socket.clone();
    let on_open = Closure::<dyn FnMut()>::new(move || {
        // The session cookie went with the handshake; the payload carries no credential.
        let init = serde_json::json!({ "type": "connection_init", "payload": {} });
        let _ = init_socket.send_with_str(&init.to_string());
    });

    let reply_socket = socket.clone();
    let message_inner = weak.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let Some(text) = event.data().as_string() else {
            return;
        };
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&text) else {
            return;
        };
        let Some(inner) = message_inner.upgrade() else {
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
                let (reconnected, on_change) = {
                    let mut state = inner.borrow_mut();
                    state.attempt = 0;
                    let reconnected = state.connected_before;
                    state.connected_before = true;
                    (reconnected, state.on_change.clone())
                };
                // Whatever changed while the socket was down was not announced.
                if reconnected {
                    on_change();
                }
            }
            Some("ping") => {
                let _ = reply_socket.send_with_str(r#"{"type":"pong"}"#);
            }
            Some("next") => {
                let on_change = inner.borrow().on_change.clone();
                on_change();
            }
            // The server ended the subscription (an error, or `complete`): start over.
            Some("error" | "complete") => {
                let _ = reply_socket.close();
            }
            _ => {}
        }
    });

    let close_inner = weak;
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_event: CloseEvent| {
        if let Some(inner) = close_inner.upgrade() {
            schedule(&inner);
        }
    });

    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));

    let mut state = inner.borrow_mut();
    // The previous socket, if any, has closed; its callbacks are not running now (this runs
    // from a timer), so they can be dropped.
    if let Some(old) = state.socket.replace(socket) {
        detach(&old);
    }
    state.handlers = Some(Handlers {
        _on_open: on_open,
        _on_message: on_message,
        _on_close: on_close,
    });
}

/// Schedules the next connection attempt after the current backoff delay.
fn schedule(inner: &Rc<RefCell<Inner>>) {
    let mut state = inner.borrow_mut();
    if state.stopped || state.timer.is_some() {
        return;
    }
    let exponent = state.attempt.min(16);
    state.attempt = state.attempt.saturating_add(1);
    let base = (FIRST_DELAY_MS * 2f64.powi(exponent as i32)).min(MAX_DELAY_MS);
    // Up to 20 % more, at random, so tabs do not reconnect in lockstep.
    let delay = base * (1.0 + 0.2 * js_sys::Math::random());
    let weak: Weak<RefCell<Inner>> = Rc::downgrade(inner);
    let timer = set_timeout_with_handle(
        move || {
            if let Some(inner) = weak.upgrade() {
                inner.borrow_mut().timer = None;
                connect(&inner);
            }
        },
        Duration::from_millis(delay as u64),
    );
    state.timer = timer.ok();
}
