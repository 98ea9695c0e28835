//! The bounded listener: a permit before `accept`, back-off on accept errors, per-source
//! accounting.
//!
//! The permit comes first (as in mini-redis): at the limit the listener simply stops calling
//! `accept`, so the excess waits in the kernel backlog instead of becoming tasks the server
//! cannot afford. A connection from a source already holding
//! [`max_per_source`](Limits::max_per_source) is closed as soon as it is accepted, and so is
//! one the [`startups`](Limits::startups) pool refuses (too many connections from its source,
//! or in total, that have not logged in yet). Before closing, a door that gave a
//! [`refusal`](Limits::refusal) has it written in the background ([`crate::refusal`]), holding
//! no permit.
//!
//! The listener counts what it sees, per door: connections accepted, refused (by reason) and
//! open, and the bytes of every accepted stream ([`crate::counted`]).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ferry_metrics::catalog::{CONNECTIONS_ACCEPTED, CONNECTIONS_OPEN, CONNECTIONS_REFUSED};
use ferry_metrics::metrics::{self, Counter, Gauge};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::accepted::{Accepted, ConnectionPermit};
use crate::backoff::{Backoff, is_connection_error};
use crate::counted::{ByteCounters, Counted};
use crate::forwarded::TrustedProxies;
use crate::refusal::{Refusal, Refused, Refuser};
use crate::socket::tune;
use crate::sources::Sources;
use crate::startups::{StartupLimits, Startups, roll};

/// What a listener allows; each door fills it from its own limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The door's name in log lines and in its metrics' `door` label (`"tcp"`, `"http"`).
    pub door: &'static str,
    /// Open connections at once (default 1024).
    pub max_connections: usize,
    /// Open connections one source address may hold (default 1024, the default
    /// `max_connections`, so on its own it refuses nothing the connection limit would not).
    pub max_per_source: usize,
    /// Connections not yet logged in, per source and in total (see [`StartupLimits`]).
    pub startups: StartupLimits,
    /// Reverse proxies: they carry many users' connections, so the per-source startup limit
    /// does not apply to them (the total still does). Empty by default.
    pub trusted_proxies: TrustedProxies,
    /// TCP keepalive idle time, or `None` to leave keepalive off (default 60 s).
    pub keepalive: Option<Duration>,
    /// How long [`run`](crate::run()) waits for running connections after shutdown before it
    /// ends them (default 10 s).
    pub shutdown_grace: Duration,
    /// What a connection refused at accept is told (the door's own error), or `None` to close
    /// it without a word (the default; and a TLS door's choice, since its peer expects a
    /// handshake that would cost the server what the refusal saves).
    pub refusal: Option<Refusal>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            door: "net",
            max_connections: 1024,
            max_per_source: 1024,
            startups: StartupLimits::default(),
            trusted_proxies: TrustedProxies::default(),
            keepalive: Some(Duration::from_secs(60)),
            shutdown_grace: Duration::from_secs(10),
            refusal: None,
        }
    }
}

/// A bound socket under [`Limits`].
#[derive(Debug)]
pub struct Listener {
    inner: TcpListener,
    limits: Limits,
    permits: Arc<Semaphore>,
    sources: Sources,
    startups: Startups,
    backoff: Backoff,
    refuser: Refuser,
    meters: Meters,
}

/// The door's connection metrics, registered once.
#[derive(Debug)]
struct Meters {
    accepted: Counter,
    open: Gauge,
    per_source: Counter,
    startups: Counter,
    bytes: ByteCounters,
}

impl Meters {
    fn new(door: &'static str) -> Self {
        let refused = |why: Refused| metrics::counter!(CONNECTIONS_REFUSED, "door" => door, "reason" => why.label());
        Meters {
            accepted: metrics::counter!(CONNECTIONS_ACCEPTED, "door" => door),
            open: metrics::gauge!(CONNECTIONS_OPEN, "door" => door),
            per_source: refused(Refused::PerSource),
            startups: refused(Refused::Startups),
            bytes: ByteCounters::new(door),
        }
    }
}

impl Listener {
    /// Puts a bound socket (from [`bind`](crate::bind) or any `TcpListener`) under `limits`.
    pub fn new(inner: TcpListener, limits: Limits) -> Self {
        Listener {
            inner,
            permits: Arc::new(Semaphore::new(limits.max_connections)),
            meters: Meters::new(limits.door),
            limits,
            sources: Sources::default(),
            startups: Startups::default(),
            backoff: Backoff::default(),
            refuser: Refuser::default(),
        }
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The per-source counts; the handle stays valid after the listener moves into
    /// [`run`](crate::run()).
    pub fn sources(&self) -> Sources {
        self.sources.clone()
    }

    /// The not-yet-logged-in counts; valid after the listener moves into [`run`](crate::run()).
    pub fn startups(&self) -> Startups {
        self.startups.clone()
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.limits.max_connections - self.permits.available_permits()
    }

    /// The next connection, with its permits and its socket options set.
    ///
    /// Waits for a free permit first, then for a connection; accept errors never reach the
    /// caller (they are logged and paused on). Cancel-safe: dropping the future loses no
    /// connection and holds no permit.
    pub async fn accept(&mut self) -> Accepted {
        loop {
            let connection = Arc::clone(&self.permits)
                .acquire_owned()
                .await
                .expect("the listener never closes its semaphore");
            let (stream, peer) = self.next_connection().await;
            // A trusted proxy carries many clients on one address: it is held to the total
            // only, and the door applies the per-source rules to the address it forwards.
            let trusted = self.limits.trusted_proxies.trusts(peer.ip());
            let per_source = if trusted {
                usize::MAX
            } else {
                self.limits.max_per_source
            };
            let Some(source) = self.sources.enter(peer.ip(), per_source) else {
                tracing::debug!(door = self.limits.door, %peer, "too many connections from this source");
                self.refuse(stream, Refused::PerSource);
                continue;
            };
            let mut startup_limits = self.limits.startups;
            if trusted {
                startup_limits.per_source = usize::MAX;
            }
            let Some(startup) = self.startups.enter(peer.ip(), &startup_limits, roll()) else {
                tracing::debug!(door = self.limits.door, %peer, "too many connections waiting to log in");
                self.refuse(stream, Refused::Startups);
                continue;
            };
            tune(&stream, self.limits.keepalive);
            self.meters.accepted.increment(1);
            let open = self.meters.open.clone();
            return Accepted {
                stream: Counted::new(stream, self.meters.bytes.clone()),
                peer,
                permit: ConnectionPermit::new(connection, source, startup, open),
            };
        }
    }

    fn refuse(&self, stream: tokio::net::TcpStream, why: Refused) {
        match why {
            Refused::PerSource => self.meters.per_source.increment(1),
            Refused::Startups => self.meters.startups.increment(1),
        }
        self.refuser
            .refuse(stream, why, self.limits.refusal.as_ref());
    }

    async fn next_connection(&mut self) -> (tokio::net::TcpStream, SocketAddr) {
        loop {
            match self.inner.accept().await {
                Ok(pair) => {
                    self.backoff.reset();
                    return pair;
                }
                Err(e) if is_connection_error(&e) => {}
                Err(e) => {
                    let pause = self.backoff.next_pause();
                    tracing::warn!(door = self.limits.door, error = %e, ?pause, "accept failed");
                    tokio::time::sleep(pause).await;
                }
            }
        }
    }
}
