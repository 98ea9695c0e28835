//! The HTTP listener: hyper's HTTP/1 server under Ferry's limits.
//!
//! `axum::serve` has no deadline for request headers, no header size cap and no connection
//! limit, so connections are driven by hyper directly, accepted by `ferry_net`'s listener (a
//! permit before `accept`, at most `max_connections` open, back-off on accept errors, the
//! drain). `header_read_timeout` drops a client that never finishes its headers,
//! `max_buf_size` bounds what is buffered of a request head (the exact cap is a middleware in
//! `lib.rs`), and shutdown asks every connection to finish its running request and close; those
//! still running after `shutdown_grace` are aborted.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::ConnectInfo;
use ferry_net::{Accepted, Listener};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::state::Limits;

/// Binds the HTTP door (with `SO_REUSEADDR`, as the TCP door).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    ferry_net::bind(addr)
}

/// Serves `app` on `listener` until `shutdown` is cancelled, then drains.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: CancellationToken,
) {
    let listener = Listener::new(
        listener,
        ferry_net::Limits {
            door: "http",
            max_connections: limits.max_connections,
            max_per_source: limits.max_connections,
            // An idle keep-alive connection is bounded by `header_read_timeout` already.
            keepalive: None,
            shutdown_grace: limits.shutdown_grace,
        },
    );
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    let token = shutdown.clone();
    ferry_net::run(listener, shutdown, move |accepted: Accepted| {
        let Accepted {
            stream,
            peer,
            permit,
        } = accepted;
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let app = app.clone();
            async move { Ok::<_, Infallible>(app.oneshot(req).await.unwrap_or_else(|e| match e {})) }
        });
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let shutdown = token.clone();
        async move {
            let _permit = permit;
            let mut conn = std::pin::pin!(conn);
            let ended = tokio::select! {
                ended = conn.as_mut() => ended,
                _ = shutdown.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(%peer, error = %e, "http connection ended");
            }
        }
    })
    .await;
}
