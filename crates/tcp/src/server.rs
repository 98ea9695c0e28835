//! The TCP door's listener: its limits, and what it adds to the shared one.
//!
//! Permits, back-off, per-source accounting and the drain are `ferry_net`'s. What is the TCP
//! door's own is the second, smaller pool for connections that have not logged in yet (so a
//! crowd of silent sockets cannot starve real users) and the `limit_reached` frame a
//! connection gets when that pool is empty.

use std::net::SocketAddr;
use std::sync::Arc;

use ferry_core::Ferry;
use ferry_net::{Accepted, Listener};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
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
    let listener = Listener::new(listener, limits.listener());
    let limits = Arc::new(limits);
    let unauthenticated = Arc::new(Semaphore::new(limits.max_unauthenticated));
    let token = shutdown.clone();
    ferry_net::run(listener, shutdown, move |accepted: Accepted| {
        let Accepted {
            stream,
            peer,
            mut permit,
        } = accepted;
        let startup = permit.take_startup();
        let mut conn = Connection::new(stream, limits.frame_timeout, limits.write_timeout);
        // Taken here, in the accept loop, so the pool is checked in accept order.
        let pre_auth = unauthenticated.clone().try_acquire_owned();
        let (ferry, limits, shutdown) = (ferry.clone(), limits.clone(), token.clone());
        async move {
            let _permit = permit;
            match pre_auth {
                Ok(pre_auth) => {
                    let pre_auth = (pre_auth, startup);
                    serve_connection(conn, peer, ferry, limits, pre_auth, shutdown).await;
                }
                Err(_) => {
                    let refusal = reply::error_code(
                        "limit_reached",
                        "too many connections waiting to log in",
                    );
                    let _ = conn.send(refusal).await;
                }
            }
        }
    })
    .await;
}
