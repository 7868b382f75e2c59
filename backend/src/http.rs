//! The HTTP surface (axum only): `/graphql` (POST operations, GET explorer, WebSocket
//! subscriptions), `/healthz`, `/readyz`, the embedded web app at every other path, with
//! compression, tracing, request ids, a body limit, a timeout and the browser headers
//! (`headers`). `server` is the connection loop that serves the router.
//! No business logic: credentials (a bearer header or the web app's session cookie, see
//! `cookie`) become a `Caller`, everything else is the schema's.
//!
//! Errors outside GraphQL render through `AppError`'s `IntoResponse` (`error`), so every
//! route answers the same `{"error": {"code", "message"}}` shape with the same codes.

use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::ConnectionTrait;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub mod cookie;
pub mod error;
pub mod headers;
pub mod hooks;
pub mod server;

use crate::error::AppError;
use crate::graphql::guards::Caller;
use crate::graphql::{AppSchema, insert_loaders};
use crate::services::directory;
use crate::state::AppState;

/// Largest request body accepted (a workflow definition is at most 256 KiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: AppSchema,
    /// The header naming the client address behind a reverse proxy (`HANDOFF_CLIENT_IP_HEADER`).
    pub client_ip_header: Option<header::HeaderName>,
}

/// The routes and their layers; `request_timeout` bounds each request from its head to its
/// answer.
pub fn router(
    app: AppState,
    schema: AppSchema,
    request_timeout: Duration,
    client_ip_header: Option<header::HeaderName>,
) -> Router {
    let state = HttpState {
        app,
        schema,
        client_ip_header,
    };
    let x_request_id = header::HeaderName::from_static("x-request-id");
    let api = Router::new()
        .route(
            "/graphql",
            get(graphql_get)
                .post(graphql_post)
                .layer(axum::middleware::from_fn(headers::require_json)),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(
            "/hooks/{workflow}/{token}",
            axum::routing::post(hooks::receive),
        )
        .layer(axum::middleware::map_response(headers::no_store));
    api.fallback(crate::web::serve)
        .with_state(state)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(axum::middleware::map_response(headers::browser_headers))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(span_of))
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
}

/// The tracing span of one request. The path is logged with an inbound hook's token replaced,
/// so the logs never hold a credential (query strings are left out for the same reason).
fn span_of(req: &axum::extract::Request) -> tracing::Span {
    let path = req.uri().path();
    let shown = match path.strip_prefix("/hooks/") {
        Some(rest) => match rest.split_once('/') {
            Some((workflow, _token)) => format!("/hooks/{workflow}/<token>"),
            None => "/hooks/<token>".to_owned(),
        },
        None => path.to_owned(),
    };
    tracing::info_span!("request", method = %req.method(), path = %shown)
}

/// Resolves the request's credential into its `Caller`: a bearer credential
/// (`Authorization: Bearer`) or else the web app's session cookie, which counts only when the
/// request came from our own origin (see `cookie`). A refused credential is remembered so
/// guards can say why.
async fn caller_from(s: &HttpState, headers: &HeaderMap, peer: Option<SocketAddr>) -> Caller {
    let client = client_address(s.client_ip_header.as_ref(), headers, peer);
    let secure_cookie = !cookie::loopback_host(headers);
    let header_token = bearer(headers);
    let from_cookie = header_token.is_none();
    let credential = match header_token {
        Some(token) => Some(token.to_owned()),
        None => cookie::session_from(headers),
    };
    let mut caller = Caller {
        client,
        secure_cookie,
        ..Caller::default()
    };
    let Some(token) = credential else {
        return caller;
    };
    if from_cookie && !cookie::same_origin(headers) {
        caller.refusal =
            Some("the session cookie is accepted only from this site's own pages".into());
        return caller;
    }
    match directory::authenticate(&s.app, &token).await {
        Ok(p) => caller.principal = Some(p),
        Err(e) => caller.refusal = Some(e.message()),
    }
    caller
}

/// The client's address: the last entry of the configured proxy header, else the peer.
fn client_address(
    proxy_header: Option<&header::HeaderName>,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> Option<IpAddr> {
    let forwarded = proxy_header
        .and_then(|name| headers.get(name))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse::<IpAddr>().ok());
    forwarded.or(peer.map(|p| p.ip()))
}

/// The connection's peer address (absent when the router is served without connect info).
fn peer_of(extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

async fn graphql_post(
    State(s): State<HttpState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    req: GraphQLRequest,
) -> GraphQLResponse {
    let caller = caller_from(&s, &headers, peer_of(&extensions)).await;
    let mut req = req.into_inner().data(caller);
    insert_loaders(&mut req.data, &s.app);
    s.schema.execute(req).await.into()
}

/// GET `/graphql`: a WebSocket upgrade starts a subscription session (`graphql-transport-ws`,
/// credentials in the `connection_init` payload as `{"authorization": "Bearer ..."}`, or the
/// web app's session cookie on the handshake); a plain GET answers the GraphiQL explorer.
async fn graphql_get(State(s): State<HttpState>, req: axum::extract::Request) -> Response {
    let (mut parts, _body) = req.into_parts();
    let Ok(ws) = WebSocketUpgrade::from_request_parts(&mut parts, &()).await else {
        // The embedded explorer works offline; the CDN one is the fallback for a binary
        // built without the web app.
        let (page, csp) = match crate::web::explorer_page() {
            Some(page) => (page, headers::EXPLORER_CSP),
            None => (
                GraphiQLSource::build()
                    .endpoint("/graphql")
                    .subscription_endpoint("/graphql")
                    .finish(),
                headers::CDN_EXPLORER_CSP,
            ),
        };
        return ([(header::CONTENT_SECURITY_POLICY, csp)], Html(page)).into_response();
    };
    let Ok(protocol) = GraphQLProtocol::from_request_parts(&mut parts, &()).await else {
        let err = AppError::invalid(
            "headers.sec-websocket-protocol",
            "use graphql-transport-ws or graphql-ws",
        );
        return (StatusCode::BAD_REQUEST, err).into_response();
    };
    let peer = peer_of(&parts.extensions);
    let mut headers = parts.headers;
    ws.protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let app = s.app.clone();
            let schema = s.schema.clone();
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    // A token in the payload counts as the `Authorization` header would.
                    let from_payload = payload
                        .get("authorization")
                        .or_else(|| payload.get("Authorization"))
                        .and_then(|v| v.as_str())
                        .and_then(|v| header::HeaderValue::from_str(v).ok());
                    if let Some(value) = from_payload {
                        headers.insert(header::AUTHORIZATION, value);
                    }
                    let caller = caller_from(&s, &headers, peer).await;
                    let mut data = Data::default();
                    data.insert(caller);
                    insert_loaders(&mut data, &app);
                    Ok(data)
                })
                .serve()
                .await;
        })
        .into_response()
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers. Not ready is `INTERNAL` (the cause is logged, not shown)
/// answered with 503, the status load balancers and orchestrators act on.
async fn readyz(State(s): State<HttpState>) -> Response {
    match s.app.db.execute_unprepared("SELECT 1").await {
        Ok(_) => Json(serde_json::json!({"status": "ready"})).into_response(),
        Err(e) => {
            let err = AppError::Internal(
                anyhow::Error::new(e).context("readiness check: the database does not answer"),
            );
            (StatusCode::SERVICE_UNAVAILABLE, err).into_response()
        }
    }
}
