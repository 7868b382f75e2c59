//! What every answer tells a browser, and what `/graphql` accepts.
//!
//! - A Content-Security-Policy on every answer ([`APP_CSP`]): scripts only from this origin
//!   (the web app boots from a file, never an inline script), WebAssembly compilation allowed
//!   (`'wasm-unsafe-eval'`, which allows no JavaScript `eval`), no plugins, no `<base>`, and no
//!   framing by any page (`frame-ancestors 'none'`, with `X-Frame-Options: DENY` for older
//!   browsers). A route with needs of its own sets its policy first and keeps it: the API
//!   explorer ([`EXPLORER_CSP`]), whose editor injects styles.
//! - `X-Content-Type-Options: nosniff` (a JSON answer is never run as a script) and
//!   `Referrer-Policy: no-referrer` (request numbers in URLs stay here).
//! - `Cache-Control: no-store` on API answers ([`no_store`]): they carry what one caller may
//!   read and must not stay in a shared or browser cache. The web app's files choose their own
//!   caching (`web.rs`).
//! - `POST /graphql` only as `Content-Type: application/json` ([`require_json`]). A browser
//!   sends `text/plain`, `multipart/form-data` and `application/x-www-form-urlencoded` across
//!   origins without asking first (no CORS preflight), so accepting them would let any page a
//!   signed-in user visits post a mutation; JSON always needs the preflight, which this server
//!   never grants.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// The policy of the web app and every other answer.
pub const APP_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The policy of the API explorer served from the binary: its scripts are files of this
/// origin like the app's, but GraphiQL's editor writes `style` attributes and `<style>`
/// elements, so styles may be inline. Scripts may not.
pub const EXPLORER_CSP: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

/// The policy of the fallback explorer of a binary built without the web app, which loads
/// GraphiQL from unpkg.com and boots it with an inline script (async-graphql's page).
pub const CDN_EXPLORER_CSP: &str = "default-src 'self'; \
    script-src 'self' 'unsafe-inline' https://unpkg.com; \
    style-src 'self' 'unsafe-inline' https://unpkg.com; img-src 'self' data: https://graphql.org; \
    font-src 'self' data: https://unpkg.com; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Adds the browser headers to every answer; a policy a route already set is kept.
pub async fn browser_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    set_if_absent(h, header::CONTENT_SECURITY_POLICY, APP_CSP);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

/// Marks an API answer as not to be stored by any cache.
pub async fn no_store(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Refuses a `POST` whose body is not declared JSON with 415 and the usual error shape
/// (`VALIDATION_FAILED` at `headers.content-type`); other methods pass.
pub async fn require_json(req: Request, next: Next) -> Response {
    if req.method() == Method::POST && !is_json(req.headers()) {
        let err = AppError::invalid(
            "headers.content-type",
            "send the operation as JSON with Content-Type: application/json",
        );
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, err).into_response();
    }
    next.run(req).await
}

/// Whether the media type (parameters such as `charset` aside) is `application/json`.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

fn set_if_absent(headers: &mut HeaderMap, name: HeaderName, value: &'static str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_type(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn json_with_or_without_parameters_is_json() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
        ] {
            assert!(is_json(&with_type(ok)), "{ok}");
        }
        for refused in [
            "text/plain",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded",
            "application/jsonp",
            "application/graphql",
        ] {
            assert!(!is_json(&with_type(refused)), "{refused}");
        }
        assert!(!is_json(&HeaderMap::new()));
    }
}
