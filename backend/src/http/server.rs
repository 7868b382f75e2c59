//! The connection loop: accepts TCP connections and serves each with hyper's HTTP/1.1
//! connection, with the limits `axum::serve` does not offer.
//!
//! - **Header read timeout.** A connection must deliver a complete request head within
//!   `header_timeout` of the server starting to wait for it. hyper starts that clock both for a
//!   new connection's first request and for a kept-alive connection's next one, so the same
//!   timeout closes connections that trickle a head byte by byte (slowloris) and idle
//!   keep-alive connections. Without a timer, hyper applies none at all, which is what
//!   `axum::serve` did: a half-sent head held its connection forever.
//! - **Request timeout.** Once a head arrived, the router's `TimeoutLayer` bounds the rest
//!   (body and answer); that lives in `http::router`.
//! - **HTTP/1.1 only.** Browsers speak HTTP/2 only over TLS, which a proxy in front of Handoff
//!   terminates; cleartext HTTP/2 would be a second protocol to bound for no client.
//!
//! Each request carries `ConnectInfo<SocketAddr>` like `axum::serve`'s
//! `into_make_service_with_connect_info` gives it, so handlers may extract the peer address.
//! Shutdown stops accepting, lets in-flight requests finish and closes idle connections.
//! Upgraded connections (WebSocket subscriptions) leave hyper once upgraded and end with the
//! process.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt as _;

/// The connection limits of [`serve`].
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// How long a connection may take to deliver a request head (see the module doc).
    pub header_timeout: Duration,
}

/// Serves `router` on `listener` until `shutdown` resolves, then waits for the connections
/// that are still answering a request.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    // Receivers of `stop` drop when shutdown begins; each connection watches `stop.closed()`.
    let (stop, stopping) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(stopping);
    });
    // Each connection holds a clone of `open`; `done.closed()` resolves when all are gone.
    let (done, open) = watch::channel(());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = stop.closed() => break,
        };
        // Small answers go out at once rather than waiting for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut req: axum::http::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            });
        tokio::spawn(serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(service),
            limits,
            stop.clone(),
            open.clone(),
        ));
    }
    drop(open);
    drop(listener);
    done.closed().await;
}

async fn serve_connection<S>(
    io: TokioIo<tokio::net::TcpStream>,
    service: S,
    limits: ServerLimits,
    stop: watch::Sender<()>,
    open: watch::Receiver<()>,
) where
    S: hyper::service::Service<
            axum::http::Request<Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let conn = builder.serve_connection(io, service).with_upgrades();
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        () = stop.closed() => {
            // Finishes the request in flight, if any, and closes; an idle connection closes now.
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        // Timeouts, resets and malformed heads are the client's doing: not worth more.
        tracing::debug!(error = %e, "connection ended with an error");
    }
    drop(open);
}

/// An accept error: per-connection ones (reset before accept) are ignored; running out of file
/// descriptors waits a moment instead of spinning.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    ) {
        return;
    }
    tracing::warn!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
