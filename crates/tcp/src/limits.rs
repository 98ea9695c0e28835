//! Every bound on the TCP door, in a leaf module that the listener and the session loop both
//! import (so neither imports the other for it).

use std::time::Duration;

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
    /// Connections not yet logged in per source, and the random early refusal past a
    /// threshold (defaults in [`ferry_net::StartupLimits`]). Checked at accept, before
    /// `max_unauthenticated`.
    pub startups: ferry_net::StartupLimits,
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
    /// From this many `upload_write` chunks being written at once, further chunks are
    /// streamed to storage in 256 KiB blocks instead of being read whole (1 MiB): with every
    /// core busy that keeps about half a MiB per upload in memory instead of two. 0 streams
    /// every chunk. Default: two per core.
    pub stream_chunks_from: usize,
}

/// Two chunks per core: every core hashing one, one queued behind each.
pub fn default_stream_chunks_from() -> usize {
    2 * std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            max_per_source: 1024,
            max_unauthenticated: 256,
            startups: ferry_net::StartupLimits::default(),
            login_timeout: Duration::from_secs(10),
            frame_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(300),
            write_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            keepalive: Duration::from_secs(60),
            stream_chunks_from: default_stream_chunks_from(),
        }
    }
}

impl Limits {
    /// The shared listener's part of these limits.
    pub(crate) fn listener(&self) -> ferry_net::Limits {
        ferry_net::Limits {
            door: "tcp",
            max_connections: self.max_connections,
            max_per_source: self.max_per_source,
            startups: self.startups,
            trusted_proxies: ferry_net::TrustedProxies::default(),
            keepalive: Some(self.keepalive),
            shutdown_grace: self.shutdown_grace,
            refusal: None,
        }
    }
}
