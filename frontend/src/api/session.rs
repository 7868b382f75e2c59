//! Whether someone is signed in, kept in `localStorage` so it survives reloads and is shared by
//! tabs.
//!
//! No credential is stored here: the session itself is an `HttpOnly` cookie the server sets at
//! sign-in, which no script (ours or an injected one) can read, and the browser sends it with
//! every request to our own origin. This record only remembers the session's expiry and the
//! email shown in the header; everything else (name, permissions) is asked from the server,
//! which stays the authority.

use serde::{Deserialize, Serialize};

const KEY: &str = "handoff.session";

/// What is remembered between page loads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// RFC 3339 expiry, as the server gave it.
    pub expires_at: String,
    /// Shown in the header.
    pub email: String,
}

impl Session {
    fn expired(&self) -> bool {
        // An unparsable expiry counts as expired: better one extra sign-in than requests that
        // all fail.
        let expires = js_sys::Date::parse(&self.expires_at);
        expires.is_nan() || expires <= js_sys::Date::now()
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|window| window.local_storage().ok().flatten())
}

fn stored() -> Option<Session> {
    let text = storage()?.get_item(KEY).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

/// Whether a session was stored at all, expired or not.
pub fn had_session() -> bool {
    stored().is_some()
}

/// The session, when there is one that has not expired.
pub fn current() -> Option<Session> {
    stored().filter(|session| !session.expired())
}

/// Remembers a new session.
pub fn save(session: &Session) {
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(session)) {
        // A full or disabled storage only means the session will not survive a reload.
        let _ = storage.set_item(KEY, &text);
    }
}

/// Forgets the session (sign-out, expiry).
pub fn clear() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(KEY);
    }
}

/// Ends an expired or refused session and sends the browser to the sign-in page with the
/// current page as `next`. A full navigation (not a router one) is deliberate: it drops every
/// piece of state that belonged to the old session. Answers whether it navigated (not when
/// already on the sign-in page).
pub fn end_and_redirect() -> bool {
    clear();
    let Some(window) = web_sys::window() else {
        return false;
    };
    let location = window.location();
    let path = location.pathname().unwrap_or_default();
    if path == "/login" {
        return false;
    }
    let search = location.search().unwrap_or_default();
    let next = js_sys::encode_uri_component(&format!("{path}{search}"));
    location.set_href(&format!("/login?next={next}")).is_ok()
}
