//! What the listener hands a door: a stream, who is on the other end, and the permits that
//! keep the connection counted.
//!
//! A door works on any [`Io`], not on `TcpStream`, so TLS later is a wrapper around the
//! accepted stream ([`Accepted::map`]) rather than a rewrite of either door. The stream comes
//! [`Counted`] (its bytes go to the door's byte counters), and the permit keeps the door's
//! open-connections gauge for as long as it lives.

use std::net::{IpAddr, SocketAddr};

use ferry_metrics::metrics::Gauge;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;

use crate::counted::Counted;
use crate::sources::SourceSlot;
use crate::startups::StartupSlot;

/// A byte stream a door can serve: a `TcpStream`, a TLS stream over one, a boxed one.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// An accepted connection. Hold [`permit`](Accepted::permit) for as long as the connection
/// is open: it is what keeps the connection inside the listener's limits.
#[derive(Debug)]
pub struct Accepted<S = Counted<TcpStream>> {
    /// The connection's bytes.
    pub stream: S,
    /// The peer's address.
    pub peer: SocketAddr,
    /// The connection's share of the listener's limits.
    pub permit: ConnectionPermit,
}

impl<S: Io> Accepted<S> {
    /// The same connection over a wrapped stream (a TLS session, a recording wrapper in tests).
    pub fn map<T: Io>(self, wrap: impl FnOnce(S) -> T) -> Accepted<T> {
        Accepted {
            stream: wrap(self.stream),
            peer: self.peer,
            permit: self.permit,
        }
    }

    /// The same connection with its stream type erased, for code that serves several kinds.
    pub fn boxed(self) -> Accepted<Box<dyn Io>> {
        self.map(|s| Box::new(s) as Box<dyn Io>)
    }
}

/// One connection's place in the listener's limits: one of `max_connections`, one of its
/// source's `max_per_source` and, until it logs in, one startup. Dropping it frees all.
#[derive(Debug)]
pub struct ConnectionPermit {
    _connection: OwnedSemaphorePermit,
    _open: Open,
    source: SourceSlot,
    startup: Option<StartupSlot>,
}

impl ConnectionPermit {
    pub(crate) fn new(
        connection: OwnedSemaphorePermit,
        source: SourceSlot,
        startup: StartupSlot,
        open: Gauge,
    ) -> Self {
        open.increment(1);
        ConnectionPermit {
            _connection: connection,
            _open: Open(open),
            source,
            startup: Some(startup),
        }
    }

    /// The connection's place among those not logged in yet, for the door to drop when the
    /// connection logs in (it is dropped with the permit otherwise). `None` once taken.
    pub fn take_startup(&mut self) -> Option<StartupSlot> {
        self.startup.take()
    }

    /// Marks the connection as logged in: it no longer counts against the startup limits.
    pub fn logged_in(&mut self) {
        self.startup = None;
    }

    /// The source address this connection is counted under.
    pub fn source(&self) -> IpAddr {
        self.source.ip()
    }

    /// Connections the same source holds open now, this one included.
    pub fn source_open(&self) -> usize {
        self.source.open()
    }
}

/// One connection in its door's `ferry_connections_open` gauge, until dropped.
#[derive(Debug)]
struct Open(Gauge);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.decrement(1);
    }
}
