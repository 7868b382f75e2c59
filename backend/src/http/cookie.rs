//! The web app's session cookie, and the checks that make a cookie safe to accept.
//!
//! The web app keeps its session in `handoff_session`: `HttpOnly` (no script can read it, so
//! an injected script cannot steal the session), `SameSite=Strict` (no other site's page makes
//! the browser send it), `Path=/`, and `Secure` except when the page was served from a loopback
//! address (`localhost`, `127.0.0.1`, `[::1]`), where browsers may run without TLS.
//!
//! Cookies are sent by the browser on its own, so a request authenticated by the cookie must
//! also prove it came from our own page (cross-site request forgery):
//! - `POST /graphql` takes only `application/json`, which a cross-site form cannot send and a
//!   cross-site script can send only after a CORS preflight that this server never answers;
//! - a request carrying an `Origin` header (every browser sends one with a POST and with a
//!   WebSocket handshake) is accepted only when it names this server's own host.
//!
//! API clients send `Authorization: Bearer`, which no browser adds on its own, so these checks
//! do not apply to them.

use axum::http::{HeaderMap, header};
use cookie::{Cookie, SameSite};

/// The cookie's name.
pub const SESSION_COOKIE: &str = "handoff_session";

/// The session found in the request's `Cookie` header.
pub fn session_from(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for a new session that lives `max_age_secs`.
pub fn set_session(token: &str, max_age_secs: i64, secure: bool) -> String {
    Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build()
        .to_string()
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session(secure: bool) -> String {
    set_session("", 0, secure)
}

/// The request's `Host` without its port, lower-cased.
fn host_name(headers: &HeaderMap) -> Option<String> {
    let host = headers
        .get(header::HOST)?
        .to_str()
        .ok()?
        .to_ascii_lowercase();
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default().to_owned(),
        None => host.split(':').next().unwrap_or_default().to_owned(),
    };
    Some(name)
}

/// Whether the page was served from a loopback address, where the cookie may go without
/// `Secure` (browsers allow plain HTTP there).
pub fn loopback_host(headers: &HeaderMap) -> bool {
    host_name(headers).is_some_and(|h| {
        h == "localhost"
            || h.ends_with(".localhost")
            || h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}

/// Whether a request's `Origin`, when it has one, is this server: its host and port equal the
/// `Host` header. A request without `Origin` did not come from a browser page.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let (Ok(origin), Some(host)) = (
        origin.to_str(),
        headers.get(header::HOST).and_then(|h| h.to_str().ok()),
    ) else {
        return false;
    };
    let Ok(url) = url::Url::parse(origin) else {
        return false;
    };
    let origin_authority = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => return false,
    };
    origin_authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name, HeaderValue::from_str(value).expect("a header value"));
        }
        map
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_off_loopback() {
        let set = set_session("abc", 60, true);
        assert!(set.starts_with("handoff_session=abc"), "{set}");
        for part in [
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Path=/",
            "Max-Age=60",
        ] {
            assert!(set.contains(part), "{set} lacks {part}");
        }
        assert!(!set_session("abc", 60, false).contains("Secure"));
        assert!(clear_session(true).contains("Max-Age=0"));
    }

    #[test]
    fn the_session_is_read_among_other_cookies() {
        let h = headers(&[(header::COOKIE, "a=1; handoff_session=tok; b=2")]);
        assert_eq!(session_from(&h).as_deref(), Some("tok"));
        assert_eq!(session_from(&headers(&[(header::COOKIE, "a=1")])), None);
    }

    #[test]
    fn only_our_own_origin_is_accepted() {
        let host = (header::HOST, "app.example.com:8080");
        assert!(same_origin(&headers(std::slice::from_ref(&host))));
        assert!(same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "https://app.example.com:8080")
        ])));
        assert!(!same_origin(&headers(&[
            host.clone(),
            (header::ORIGIN, "https://evil.example")
        ])));
        assert!(!same_origin(&headers(&[host, (header::ORIGIN, "null")])));
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        assert!(loopback_host(&headers(&[(header::HOST, "127.0.0.1:8080")])));
        assert!(loopback_host(&headers(&[(header::HOST, "localhost:8080")])));
        assert!(loopback_host(&headers(&[(header::HOST, "[::1]:8080")])));
        assert!(!loopback_host(&headers(&[(
            header::HOST,
            "handoff.example.com"
        )])));
    }
}
