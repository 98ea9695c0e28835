//! The TCP listener: bounded connections, deadlines, graceful shutdown.
//!
//! A connection permit is taken *before* `accept` (as in mini-redis), so at the limit the
//! server stops accepting and the kernel backlog absorbs the excess instead of the server
//! spawning unbounded tasks. Connections that have not logged in yet draw on a second, smaller
//! pool, so a crowd of silent sockets cannot starve real users.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ferry_core::Ferry;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::connection::Connection;
use crate::handler::serve_connection;
use crate::reply;

/// Every bound on the TCP door; all configurable so tests can use tiny values.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open connections at once (default 1024).
    pub max_connections: usize,
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

/// Binds a listener with `SO_REUSEADDR`, so a restarted server can take its port back at once.
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Serves connections until `shutdown` is cancelled, then lets running ones finish their
/// current step (within `shutdown_grace`).
pub async fn run(listener: TcpListener, ferry: Ferry, limits: Limits, shutdown: CancellationToken) {
    let limits = Arc::new(limits);
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let unauthenticated = Arc::new(Semaphore::new(limits.max_unauthenticated));
    let tracker = TaskTracker::new();
    loop {
        let permit = tokio::select! {
            _ = shutdown.cancelled() => break,
            p = connections.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            r = listener.accept() => match r {
                Ok(pair) => pair,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        // Small requests and acks must not wait for Nagle's algorithm.
        let _ = stream.set_nodelay(true);
        let keepalive = socket2::TcpKeepalive::new()
            .with_time(limits.keepalive)
            .with_interval(Duration::from_secs(10))
            .with_retries(3);
        let _ = socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive);
        let mut conn = Connection::new(stream, limits.frame_timeout, limits.write_timeout);
        let Ok(pre_auth) = unauthenticated.clone().try_acquire_owned() else {
            tracker.spawn(async move {
                let _ = conn
                    .send(reply::error_code(
                        "limit_reached",
                        "too many connections waiting to log in",
                    ))
                    .await;
                drop(permit);
            });
            continue;
        };
        let (ferry, limits, shutdown) = (ferry.clone(), limits.clone(), shutdown.clone());
        tracker.spawn(async move {
            serve_connection(conn, peer, ferry, limits, pre_auth, shutdown).await;
            drop(permit);
        });
    }
    tracker.close();
    if tokio::time::timeout(limits.shutdown_grace, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace period over; closing remaining connections");
    }
}
