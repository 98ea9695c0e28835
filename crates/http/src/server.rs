//! The HTTP listener: hyper's HTTP/1 server under Ferry's limits.
//!
//! `axum::serve` has no deadline for request headers, no header size cap and no connection
//! limit, so connections are driven by hyper directly, accepted by `ferry_net`'s listener (a
//! permit before `accept`, at most `max_connections` open, back-off on accept errors, the
//! drain). `header_read_timeout` drops a client that never finishes its headers,
//! `max_buf_size` bounds what is buffered of a request head (the exact cap is a middleware in
//! `lib.rs`), a connection that has not sent its first request's headers within
//! `first_request_timeout` is closed, connections not yet authenticated are held to the
//! listener's startup limits, the client address comes from `Forwarded` / `X-Forwarded-For`
//! only behind a trusted proxy, and shutdown asks every connection to finish its running request and close; those
//! still running after `shutdown_grace` are aborted.
//!
//! HTTPS ([`serve_with_tls`]) is the same server on a TLS stream: the handshake runs in the
//! connection's task under its own deadline, then hyper serves the decrypted stream. Every
//! HTTPS response carries `Strict-Transport-Security`, and the download cookie gets `Secure`
//! (see [`crate::cookie::secure`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::response::IntoResponse;
use ferry_net::{Accepted, Io, Listener, Opening, Tls, TrustedProxies};
use http::{HeaderMap, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::error::{ApiError, HttpError};
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
            max_per_source: limits.max_per_source,
            startups: limits.startups,
            trusted_proxies: limits.trusted_proxies.clone(),
            // An idle keep-alive connection is bounded by `header_read_timeout` already.
            keepalive: None,
            shutdown_grace: limits.shutdown_grace,
            refusal: tls.is_none().then(refusal),
        },
    );
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    let token = shutdown.clone();
    let proxies = Arc::new(limits.trusted_proxies.clone());
    let first_request_timeout = limits.first_request_timeout;
    ferry_net::run(listener, shutdown, move |accepted: Accepted| {
        let Accepted {
            stream,
            peer,
            mut permit,
        } = accepted;
        // The connection counts as not logged in until a request on it is answered with
        // something other than 401/403; the first request's headers must arrive within
        // `first_request_timeout`, which `first` reports.
        let startup = Arc::new(Mutex::new(permit.take_startup()));
        let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
        let first_tx = Mutex::new(Some(first_tx));
        let (app, proxies) = (app.clone(), proxies.clone());
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            if let Some(tx) = first_tx
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
            {
                let _ = tx.send(());
            }
            let client = client_addr(&proxies, peer, req.headers());
            req.extensions_mut().insert(ConnectInfo(client));
            let (app, startup) = (app.clone(), startup.clone());
            async move {
                let resp = app.oneshot(req).await.unwrap_or_else(|e| match e {});
                if !matches!(
                    resp.status(),
                    StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
                ) {
                    startup
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .take();
                }
                Ok::<_, Infallible>(resp)
            }
        });
        let builder = builder.clone();
        let shutdown = token.clone();
        let tls = tls.clone();
        async move {
            let _permit = permit;
            let first = async move {
                // Ends when no request head arrived in time; pending once one did.
                if tokio::time::timeout(first_request_timeout, first_rx)
                    .await
                    .is_err()
                {
                    return;
                }
                std::future::pending::<()>().await
            };
            match tls {
                None => drive(&builder, stream, service, peer, first, shutdown).await,
                Some(tls) => match tls.open(stream).await {
                    Ok(Opening::Tls(stream)) => {
                        drive(&builder, stream, service, peer, first, shutdown).await;
                    }
                    Ok(Opening::PlainText(stream)) => {
                        tracing::info!(%peer, door = "http", "plain HTTP on the HTTPS port");
                        let mut once = builder.clone();
                        once.keep_alive(false);
                        let refuse = hyper::service::service_fn(|_req| async {
                            Ok::<_, Infallible>(
                                ApiError::from(HttpError::TlsRequired).into_response(),
                            )
                        });
                        drive(&once, stream, refuse, peer, first, shutdown).await;
                    }
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
    first: impl Future<Output = ()>,
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
        () = first => {
            tracing::debug!(%peer, "no request within the first-request timeout");
            return;
        }
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

/// The client's address: the peer, or whom a trusted proxy's forwarding headers name.
fn client_addr(proxies: &TrustedProxies, peer: SocketAddr, headers: &HeaderMap) -> SocketAddr {
    if proxies.is_empty() {
        return peer;
    }
    let values = |name| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
    };
    let forwarded = values(http::header::FORWARDED);
    let xff = values(http::HeaderName::from_static("x-forwarded-for"));
    SocketAddr::new(proxies.client(peer.ip(), forwarded, xff), peer.port())
}

/// Seconds a client refused at accept is told to wait.
const REFUSAL_RETRY_AFTER: u64 = 1;

/// A whole `503` with a problem body, for a connection the listener refuses at accept. Written
/// as bytes, not through hyper: the request is never read, and the connection closes after.
fn refusal() -> ferry_net::Refusal {
    ferry_net::Refusal::new(|why: ferry_net::Refused| {
        let body = serde_json::json!({
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "detail": why.message(),
            "code": "limit_reached",
            "retry_after": REFUSAL_RETRY_AFTER,
        })
        .to_string();
        format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
             retry-after: {REFUSAL_RETRY_AFTER}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into()
    })
}
