//! Socket options, set in one place so both doors get the same ones.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// The listen backlog. Connections past the permit limit wait here (the listener stops
/// accepting at its limit), so it matches the default `max_connections`; the kernel caps it at
/// `net.core.somaxconn` anyway.
pub const BACKLOG: u32 = 1024;

/// Probe interval once keepalive has started probing a silent peer.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
/// Unanswered probes before the kernel declares the peer gone.
const KEEPALIVE_RETRIES: u32 = 3;

/// Binds a listener with `SO_REUSEADDR`, so a restarted server takes its port back at once
/// instead of waiting out the old sockets' `TIME_WAIT`.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// Sets the options every accepted connection gets.
///
/// `TCP_NODELAY`: small requests and acks must not wait for Nagle's algorithm. Keepalive (when
/// asked for) finds peers that vanished without a FIN or RST, so what they held is freed long
/// before an idle timeout would. Failures are ignored: a socket without them still works.
pub fn tune(stream: &TcpStream, keepalive: Option<Duration>) {
    let _ = stream.set_nodelay(true);
    if let Some(idle) = keepalive {
        let keepalive = socket2::TcpKeepalive::new()
            .with_time(idle)
            .with_interval(KEEPALIVE_INTERVAL)
            .with_retries(KEEPALIVE_RETRIES);
        let _ = socket2::SockRef::from(stream).set_tcp_keepalive(&keepalive);
    }
}
