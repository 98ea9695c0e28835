//! Service limits and locations.

use std::path::PathBuf;
use std::time::Duration;

use crate::auth::throttle::ThrottleConfig;
use crate::exec::ExecConfig;

/// What the service needs to know; every limit has a default and can be made tiny for tests.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data folder (homes and server state).
    pub data_dir: PathBuf,
    /// An upload untouched this long is discarded (default 24 h).
    pub upload_ttl: Duration,
    /// Save the running MD5 state after this many new bytes (default 8 MiB), bounding the
    /// re-hashing a crash can cause.
    pub checkpoint_bytes: u64,
    /// Largest page a listing returns (default 1000).
    pub list_page_max: usize,
    /// Entries one search request may visit before it answers with what it found and a
    /// cursor (default 100 000): bounds the work a single request can ask for.
    pub search_max_visits: usize,
    /// How long one search request may walk before it answers the same way (default 2 s).
    pub search_max_time: Duration,
    /// Unfinished uploads one user may have (default 64).
    pub max_uploads_per_user: usize,
    /// Failed-login slow-down.
    pub throttle: ThrottleConfig,
    /// A bearer token is refused this long after it was issued (default 24 h).
    pub token_ttl: Duration,
    /// Bearer tokens one user may hold (default 32); issuing one more revokes the oldest, so
    /// a script that logs in in a loop cannot grow the token store without bound.
    pub max_tokens_per_user: usize,
    /// Remote commands: launcher, fixed PATH, timeouts, output cap, per-user cap, rlimits.
    pub exec: ExecConfig,
    /// Largest declared size of one upload (default 4 TiB); larger ones are refused with
    /// `upload_too_large`, never reserved.
    pub max_upload_size: u64,
    /// An open upload writer that no request used for this long is checkpointed and closed
    /// (default 60 s); the next request reopens it.
    pub writer_idle: Duration,
    /// This node's name in lease holders and logs (default: `ferry`).
    pub node_name: String,
    /// Other nodes continue this node's uploads (a shared metadata store; default `false`).
    /// Then an HTTP request closes the upload writers it used when it ends, giving their
    /// leases up, so that the next request may reach any node: a writer kept open for the
    /// next request (as on one node) would make every other node answer `upload_busy` until
    /// it idled out.
    pub uploads_shared: bool,
    /// How long an upload's lease lasts without renewal (default 120 s): after a node dies
    /// mid-upload, another node may take the upload over this long after its last renewal.
    pub lease_ttl: Duration,
    /// Fewest characters of a password set through a door (self-service change, admin add
    /// or reset; default 8). [`Ferry::add_user`](super::Ferry::add_user) itself takes any.
    pub min_password_length: usize,
}

impl Config {
    /// Defaults for a data folder.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            data_dir: data_dir.into(),
            upload_ttl: Duration::from_secs(24 * 3600),
            checkpoint_bytes: 8 * 1024 * 1024,
            list_page_max: 1000,
            search_max_visits: 100_000,
            search_max_time: Duration::from_secs(2),
            max_uploads_per_user: 64,
            throttle: ThrottleConfig::default(),
            token_ttl: Duration::from_secs(24 * 3600),
            max_tokens_per_user: 32,
            exec: ExecConfig::default(),
            max_upload_size: 4 << 40,
            writer_idle: Duration::from_secs(60),
            node_name: "ferry".into(),
            uploads_shared: false,
            lease_ttl: crate::store::lease::LEASE_TTL,
            min_password_length: super::DEFAULT_MIN_PASSWORD_LENGTH,
        }
    }
}
