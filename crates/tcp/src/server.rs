//! The TCP door's listener: its limits, and what it adds to the shared one.
//!
//! Permits, back-off, per-source accounting and the drain are `ferry_net`'s. What is the TCP
//! door's own is the second, smaller pool for connections that have not logged in yet (so a
//! crowd of silent sockets cannot starve real users) and the `limit_reached` frame a
//! connection gets when that pool is empty.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ferry_core::Ferry;
use ferry_net::{Accepted, Listener};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::connection::Connection;
use crate::handler::serve_connection;
use crate::reply;

/// Every bound on the TCP door; all configurable so tests can use tiny values.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open connections at once (default 1024).
    pub max_connections: usize,
    /// Open connections one source address may hold (default 1024, the default
    /// `max_connections`); connections past it are closed as soon as they are accepted.
    pub max_per_source: usize,
    /// Connections not yet logged in at once (default 64).
    pub max_unauthenticated: usize,
    /// Time from accept to a completed login (default 10 s).
    pub login_timeout: Duration,
    /// Time for one frame to arrive once its first byte has (default 30 s).
    pub frame_timeout: Duration,
    /// Time without any request before the connection is closed (default 300 s).
    pub idle_timeout: Duration,
    /// Time for one response frame to be accepted by the peer (default 30 s).
    pub write_timeout: Duration,
    /// How long shutdown waits for running connections (default 10 s).
    pub shutdown_grace: Duration,
    /// TCP keepalive idle time (default 60 s; probes every 10 s, 3 tries). Finds peers that
    /// vanished without a FIN or RST, so the uploads they held are freed long before the idle
    /// timeout.
    pub keepalive: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            max_per_source: 1024,
            max_unauthenticated: 64,
            login_timeout: Duration::from_secs(10),
            frame_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(300),
            write_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            keepalive: Duration::from_secs(60),
        }
    }
}

impl Limits {
    /// The shared listener's part of these limits.
    fn listener(&self) -> ferry_net::Limits {
        ferry_net::Limits {
            door: "tcp",
            max_connections: self.max_connections,
            max_per_source: self.max_per_source,
            keepalive: Some(self.keepalive),
            shutdown_grace: self.shutdown_grace,
        }
    }
}

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
            permit,
        } = accepted;
        let mut conn = Connection::new(stream, limits.frame_timeout, limits.write_timeout);
        // Taken here, in the accept loop, so the pool is checked in accept order.
        let pre_auth = unauthenticated.clone().try_acquire_owned();
        let (ferry, limits, shutdown) = (ferry.clone(), limits.clone(), token.clone());
        async move {
            let _permit = permit;
            match pre_auth {
                Ok(pre_auth) => {
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
