//! The HTTP listener: hyper's HTTP/1 server under Ferry's limits.
//!
//! `axum::serve` has no deadline for request headers, no header size cap and no connection
//! limit, so connections are driven by hyper directly, accepted by `ferry_net`'s listener (a
//! permit before `accept`, at most `max_connections` open, back-off on accept errors, the
//! drain). `header_read_timeout` drops a client that never finishes its headers,
//! `max_buf_size` bounds what is buffered of a request head (the exact cap is a middleware in
//! `lib.rs`), and shutdown asks every connection to finish its running request and close; those
//! still running after `shutdown_grace` are aborted.
//!
//! HTTPS ([`serve_with_tls`]) is the same server on a TLS stream: the handshake runs in the
//! connection's task under its own deadline, then hyper serves the decrypted stream. Every
//! HTTPS response carries `Strict-Transport-Security`, and the download cookie gets `Secure`
//! (see [`crate::cookie::secure`]).

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::ConnectInfo;
use ferry_net::{Accepted, Io, Listener, Tls};
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
    serve_with_tls(listener, app, limits, None, shutdown).await;
}

/// What HTTPS sends on every response: a year, the usual value once a site is on HTTPS.
pub const HSTS: &str = "max-age=31536000";

/// [`serve`], over TLS when `tls` is given.
pub async fn serve_with_tls(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<Tls>,
    shutdown: CancellationToken,
) {
    let app = if tls.is_some() { secure(app) } else { app };
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
        let builder = builder.clone();
        let shutdown = token.clone();
        let tls = tls.clone();
        async move {
            let _permit = permit;
            match tls {
                None => drive(&builder, stream, service, peer, shutdown).await,
                Some(tls) => match tls.accept(stream).await {
                    Ok(stream) => drive(&builder, stream, service, peer, shutdown).await,
                    Err(e) => {
                        tracing::info!(%peer, door = "http", error = %e, "TLS handshake failed");
                    }
                },
            }
        }
    })
    .await;
}

/// Runs one HTTP/1 connection on `stream` until it ends or shutdown asks it to finish.
async fn drive<S, Svc>(
    builder: &http1::Builder,
    stream: S,
    service: Svc,
    peer: SocketAddr,
    shutdown: CancellationToken,
) where
    S: Io,
    Svc: hyper::service::Service<
            hyper::Request<Incoming>,
            Response = axum::response::Response,
            Error = Infallible,
        >,
{
    let conn = builder.serve_connection(TokioIo::new(stream), service);
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

/// The HTTPS additions: HSTS on every response, `Secure` on the download cookie.
fn secure(app: Router) -> Router {
    app.layer(axum::middleware::map_response(
        |mut resp: axum::response::Response| async move {
            let headers = resp.headers_mut();
            headers.insert(
                http::header::STRICT_TRANSPORT_SECURITY,
                http::HeaderValue::from_static(HSTS),
            );
            let cookies: Vec<_> = headers
                .get_all(http::header::SET_COOKIE)
                .iter()
                .map(crate::cookie::secure)
                .collect();
            if !cookies.is_empty() {
                headers.remove(http::header::SET_COOKIE);
                for c in cookies {
                    headers.append(http::header::SET_COOKIE, c);
                }
            }
            resp
        },
    ))
}
