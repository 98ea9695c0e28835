//! What every handler shares: the core service and the gateway's limits.

use std::sync::Arc;
use std::time::Duration;

use ferry_core::Ferry;

/// Limits of the HTTP door. Every one has a default and can be made tiny for tests.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open connections at once.
    pub max_connections: usize,
    /// Open connections one source address may hold (trusted proxies are exempt).
    pub max_per_source: usize,
    /// Requests being handled at once (beyond it, requests wait for a slot).
    pub max_in_flight: usize,
    /// Time from connect (or the end of the previous request) to the end of the headers.
    pub header_timeout: Duration,
    /// Largest request head (request line + headers) in bytes.
    pub max_header_bytes: usize,
    /// Longest wait for the next piece of a request body; a healthy upload never waits this
    /// long, a stalled client is cut off.
    pub body_idle_timeout: Duration,
    /// Largest body of one request appending to a resumable upload, in every dialect
    /// (`--http-max-chunk`); advertised as `Upload-Limit: max-append-size` and refused before
    /// the body is read. `None` (the default): no cap, a request may carry the whole rest of
    /// an upload. Bodies are streamed to storage in bounded blocks, so a long request costs no
    /// memory; a stalled one is cut by `body_idle_timeout`, and one the client gave up on is
    /// ended by the client's next request (newer request wins).
    pub max_chunk: Option<u64>,
    /// Largest JSON body (login, create upload, move).
    pub max_json: usize,
    /// How long shutdown waits for running requests.
    pub shutdown_grace: Duration,
    /// Time from connect to the end of the first request's headers (default 3 s): shorter
    /// than `header_timeout`, since a connection that has sent nothing yet is the cheapest
    /// way to hold a slot.
    pub first_request_timeout: Duration,
    /// Connections that have not authenticated, per source and in total. A connection counts
    /// until a request on it gets a response other than 401/403.
    pub startups: ferry_net::StartupLimits,
    /// Peers whose `Forwarded` / `X-Forwarded-For` name the client (default: none).
    pub trusted_proxies: ferry_net::TrustedProxies,
    /// Origins whose pages may call the API with credentials (`--cors-origin`), as
    /// [`crate::cors::parse_origin`] spells them; empty (the default) turns CORS off.
    pub cors_origins: Vec<http::HeaderValue>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            max_per_source: 1024,
            max_in_flight: 256,
            header_timeout: Duration::from_secs(10),
            max_header_bytes: 64 * 1024,
            body_idle_timeout: Duration::from_secs(60),
            max_chunk: None,
            max_json: 64 * 1024,
            shutdown_grace: Duration::from_secs(10),
            first_request_timeout: Duration::from_secs(3),
            startups: ferry_net::StartupLimits::default(),
            trusted_proxies: ferry_net::TrustedProxies::default(),
            cors_origins: Vec::new(),
        }
    }
}

/// Handler state: a cheap clone (every extractor that needs it clones it per request).
#[derive(Debug, Clone)]
pub struct AppState {
    /// The core service.
    pub ferry: Ferry,
    /// The door's limits.
    pub limits: Arc<Limits>,
}
