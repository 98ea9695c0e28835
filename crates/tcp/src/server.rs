//! The TCP door's listener: its limits, and what it adds to the shared one.
//!
//! Permits, back-off, per-source accounting and the drain are `ferry_net`'s. What is the TCP
//! door's own is the second, smaller pool for connections that have not logged in yet (so a
//! crowd of silent sockets cannot starve real users) and the `limit_reached` frame a
//! connection gets when that pool is empty — the same frame a plain-text connection gets
//! when the shared listener refuses it at accept (per source or by the startup limits).
//!
//! With TLS ([`run_with_tls`]) the handshake comes first, inside the connection's task (so a
//! slow handshake never holds up `accept`), and the framed protocol starts on the decrypted
//! stream: `hello` is the first frame inside the TLS session. A client that fails the
//! handshake (plain text on a TLS port, a wrong certificate, silence past the deadline) is
//! logged and closed; nothing else is affected.

use std::net::SocketAddr;
use std::sync::Arc;

use ferry_core::Ferry;
use ferry_net::{Accepted, Io, Listener, Tls};
use ferry_proto::FrameCodec;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};
use tokio_util::codec::Encoder;
use tokio_util::sync::CancellationToken;

use crate::connection::Connection;
use crate::handler::serve_connection;
use crate::reply;

pub use crate::limits::Limits;

/// Binds a listener with `SO_REUSEADDR`, so a restarted server can take its port back at once.
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    ferry_net::bind(addr)
}

/// Serves connections until `shutdown` is cancelled, then lets running ones finish their
/// current step (within `shutdown_grace`) and closes the rest.
pub async fn run(listener: TcpListener, ferry: Ferry, limits: Limits, shutdown: CancellationToken) {
    run_with_tls(listener, ferry, limits, None, shutdown).await;
}

/// [`run`], with every connection wrapped in TLS first when `tls` is given.
pub async fn run_with_tls(
    listener: TcpListener,
    ferry: Ferry,
    limits: Limits,
    tls: Option<Tls>,
    shutdown: CancellationToken,
) {
    let mut net_limits = limits.listener();
    if tls.is_none() {
        net_limits.refusal = Some(refusal());
    }
    let listener = Listener::new(listener, net_limits);
    let limits = Arc::new(limits);
    let unauthenticated = Arc::new(Semaphore::new(limits.max_unauthenticated));
    let token = shutdown.clone();
    ferry_net::run(listener, shutdown, move |mut accepted: Accepted| {
        let startup = accepted.permit.take_startup();
        // Taken here, in the accept loop, so the pool is checked in accept order.
        let pre_auth = unauthenticated.clone().try_acquire_owned();
        let (ferry, limits, shutdown, tls) =
            (ferry.clone(), limits.clone(), token.clone(), tls.clone());
        async move {
            let (stream, peer, _permit) = (accepted.stream, accepted.peer, accepted.permit);
            // Each branch is boxed on its own, so a plain connection is not allocated at the
            // size of a TLS one, and neither keeps room for the handshake once it is done.
            match tls {
                None => {
                    Box::pin(serve(
                        stream, peer, ferry, limits, pre_auth, startup, shutdown,
                    ))
                    .await
                }
                Some(tls) => match Box::pin(tls.accept(stream)).await {
                    Ok(stream) => {
                        Box::pin(serve(
                            stream, peer, ferry, limits, pre_auth, startup, shutdown,
                        ))
                        .await
                    }
                    Err(e) => {
                        tracing::info!(%peer, door = "tcp", error = %e, "TLS handshake failed");
                    }
                },
            }
        }
    })
    .await;
}

/// The `limit_reached` frame, encoded, for a connection the listener refuses at accept.
fn refusal() -> ferry_net::Refusal {
    ferry_net::Refusal::new(|why: ferry_net::Refused| {
        let mut buf = bytes::BytesMut::new();
        let frame = reply::error_code("limit_reached", why.message());
        // A two-field error frame is far below every frame limit: encoding cannot fail.
        let _ = FrameCodec::default().encode(frame, &mut buf);
        buf.freeze()
    })
}

/// Serves one connection on its (plain or decrypted) stream, or refuses it when the
/// not-logged-in pool was empty.
async fn serve<S: Io>(
    stream: S,
    peer: SocketAddr,
    ferry: Ferry,
    limits: Arc<Limits>,
    pre_auth: Result<OwnedSemaphorePermit, TryAcquireError>,
    startup: Option<ferry_net::StartupSlot>,
    shutdown: CancellationToken,
) {
    let mut conn = Connection::new(stream, limits.frame_timeout, limits.write_timeout);
    match pre_auth {
        Ok(pre_auth) => {
            let pre_auth = (pre_auth, startup);
            serve_connection(conn, peer, ferry, limits, pre_auth, shutdown).await;
        }
        Err(_) => {
            ferry_metrics::metrics::counter!(
                ferry_metrics::catalog::CONNECTIONS_REFUSED,
                "door" => "tcp",
                "reason" => "unauthenticated"
            )
            .increment(1);
            let refusal =
                reply::error_code("limit_reached", "too many connections waiting to log in");
            let _ = conn.send(refusal).await;
        }
    }
}
