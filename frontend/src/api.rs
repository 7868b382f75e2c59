//! Data access: the one place that speaks HTTP and WebSocket to the server.
//!
//! Pages call [`run`] with a typed operation from [`ops`] and get typed data or an
//! [`ApiError`]; they never build requests themselves. The session is an `HttpOnly` cookie the
//! browser sends by itself (see [`session`]), so no credential passes through this code. Errors are
//! classified by their stable `extensions.code`, never by message text.

pub mod live;
pub mod ops;
pub mod session;

use gloo_net::http::Request;
use graphql_client::GraphQLQuery;
use handoff_shared::{ErrorCode, Problem};
use serde::Deserialize;
use serde_json::Value;

/// Where the API lives: the same origin that served the app.
const ENDPOINT: &str = "/graphql";

/// A failed operation, as the user should see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The server's stable code; `None` for network or decoding failures.
    pub code: Option<ErrorCode>,
    /// The first error's message, safe to show (the server never leaks internals).
    pub message: String,
    /// `VALIDATION_FAILED`: one entry per invalid input, e.g. `fields.amount`.
    pub fields: Vec<Problem>,
    /// `INVALID_DEFINITION`: one entry per problem in the definition.
    pub problems: Vec<Problem>,
}

impl ApiError {
    /// An error that happened on this side (network down, unreadable answer).
    pub fn local(message: impl Into<String>) -> Self {
        Self {
            code: None,
            message: message.into(),
            fields: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// Whether the server answered with this code.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == Some(code)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The parts of a GraphQL error this app reads; anything else is ignored.
#[derive(Deserialize)]
struct WireError {
    message: String,
    #[serde(default)]
    extensions: Option<WireExtensions>,
}

#[derive(Deserialize, Default)]
struct WireExtensions {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    fields: Vec<Problem>,
    #[serde(default)]
    problems: Vec<Problem>,
}

/// A GraphQL answer. `data` is kept as JSON first: with errors it may be partial or `null`,
/// and decoding it into the typed shape only makes sense without errors.
#[derive(Deserialize)]
struct WireResponse {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Vec<WireError>,
}

/// Runs one operation as the signed-in user (or anonymously when nobody is).
///
/// An `UNAUTHENTICATED` answer while signed in means the session is over:
/// the session is cleared and the browser goes to the sign-in page, remembering where it was.
pub async fn run<Q: GraphQLQuery>(variables: Q::Variables) -> Result<Q::ResponseData, ApiError> {
    let current = session::current();
    // Expired since the last request: do not even try, the server would refuse it. On the
    // sign-in page itself the stale session is just dropped and the request goes out anonymously.
    if current.is_none() && session::had_session() && session::end_and_redirect() {
        return Err(ApiError {
            code: Some(ErrorCode::Unauthenticated),
            ..ApiError::local("Your session has ended; please sign in again.")
        });
    }
    let body = Q::build_query(variables);
    let response = Request::post(ENDPOINT)
        .header("Accept", "application/json")
        .json(&body)
        .map_err(|_| ApiError::local("The request could not be encoded."))?
        .send()
        .await
        .map_err(|_| ApiError::local("The server cannot be reached. Check your connection."))?;
    let status = response.status();
    let wire: WireResponse = response.json().await.map_err(|_| {
        ApiError::local(format!(
            "The server answered with an unreadable response (HTTP {status})."
        ))
    })?;
    if let Some(first) = wire.errors.first() {
        let mut error = ApiError::local(first.message.clone());
        error.code = first
            .extensions
            .as_ref()
            .and_then(|e| e.code.as_deref())
            .and_then(ErrorCode::parse);
        for wire_error in wire.errors {
            let extensions = wire_error.extensions.unwrap_or_default();
            error.fields.extend(extensions.fields);
            error.problems.extend(extensions.problems);
        }
        if error.is(ErrorCode::Unauthenticated) && current.is_some() {
            session::end_and_redirect();
        }
        return Err(error);
    }
    let data = wire
        .data
        .ok_or_else(|| ApiError::local("The server answered without data."))?;
    serde_json::from_value(data)
        .map_err(|_| ApiError::local("The server's answer did not have the expected shape."))
}

/// A value of the random kind browsers offer for idempotency keys: a fresh UUID per call.
pub fn random_key() -> String {
    web_sys::window()
        .and_then(|window| window.crypto().ok())
        .map(|crypto| crypto.random_uuid())
        // Without Web Crypto (never in supported browsers) fall back to time plus a random
        // number; the key only needs to be unlikely to repeat for one user.
        .unwrap_or_else(|| format!("{}-{}", js_sys::Date::now(), js_sys::Math::random()))
}
