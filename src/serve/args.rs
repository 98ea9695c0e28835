//! The options of `ferry serve`, and what they become: the core's [`Config`] and each door's
//! limits. Durations are given in (fractional) seconds on the command line. One file of ~300
//! lines: the flags are one clap struct, and each is documented where it is declared.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use ferry_core::Config;

/// Options of `ferry serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Data folder: homes and server state (created if missing).
    #[arg(long, env = "FERRY_DATA", default_value = "ferry-data")]
    pub(super) data: PathBuf,
    /// Keep the metadata (accounts, tokens, upload records, leases, quota) in this PostgreSQL
    /// database (`postgres://USER:PASSWORD@HOST:PORT/DB`) instead of the data folder, so that
    /// several nodes share it; the schema is made or migrated at start. File bytes stay in the
    /// data folder.
    #[arg(long, env = "FERRY_META", value_name = "URL", value_parser = crate::stores::parse_meta)]
    pub(super) meta: Option<String>,
    /// Where the homes and unfinished uploads' bytes live, when not in the data folder.
    #[command(flatten)]
    pub(super) files: crate::stores::StoreArgs,
    /// Address of the framed TCP door.
    #[arg(long, default_value = "127.0.0.1:7070")]
    pub(super) tcp: SocketAddr,
    /// Address of the HTTP door (API, web page, /docs).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(super) http: SocketAddr,
    /// Open connections at once, per door.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// HTTP requests handled at once (more wait for a slot).
    #[arg(long, default_value_t = 256)]
    http_max_in_flight: usize,
    /// Seconds an HTTP client has to send its request headers.
    #[arg(long, default_value_t = 10.0)]
    http_header_timeout: f64,
    /// Largest HTTP request head (request line and headers), in bytes.
    #[arg(long, default_value_t = 65536)]
    http_max_header_bytes: usize,
    /// Seconds an HTTP request body may stall before the request is dropped.
    #[arg(long, default_value_t = 60.0)]
    http_body_timeout: f64,
    /// Largest body of one HTTP request appending to a resumable upload (`256MiB`, `1GiB`…),
    /// advertised as `Upload-Limit: max-append-size`. Default: no cap (a request may carry the
    /// rest of an upload; bodies are streamed, never held whole).
    #[arg(long, value_parser = crate::cli::size::parse_size)]
    http_max_chunk: Option<u64>,
    /// Seconds a bearer token from /api/v1/login stays valid.
    #[arg(long, default_value_t = 86400)]
    token_ttl: u64,
    /// Open connections one source address may hold, per door, so that one address cannot
    /// take every connection slot even after logging in. Trusted proxies are exempt.
    #[arg(long, default_value_t = 128)]
    max_connections_per_source: usize,
    /// Connections not yet logged in at once (TCP door).
    #[arg(long, default_value_t = 256)]
    max_unauthenticated: usize,
    /// Connections not yet logged in that one source address may hold, per door (OpenSSH's
    /// PerSourceMaxStartups). Trusted proxies are exempt. High enough for a script that opens
    /// dozens of parallel clients at once, well below `--max-unauthenticated`, so one address
    /// cannot fill that pool.
    #[arg(long, default_value_t = 64)]
    max_startups_per_source: usize,
    /// Connections not yet logged in, per door, as START:RATE:FULL (OpenSSH's MaxStartups):
    /// from START on, new ones are refused with probability RATE% rising to 100% at FULL.
    #[arg(long, default_value = "100:30:300", value_parser = ferry_net::StartupLimits::parse_max_startups)]
    max_startups: (usize, u8, usize),
    /// Seconds an HTTP client has, from connect, to send its first request's headers.
    #[arg(long, default_value_t = 3.0)]
    http_first_request_timeout: f64,
    /// Reverse proxies (CIDRs or addresses; repeat or comma-separate) whose `Forwarded` /
    /// `X-Forwarded-For` headers name the client for limits, throttling and logs. From any
    /// other peer those headers are ignored.
    #[arg(
        long = "trusted-proxy",
        env = "FERRY_TRUSTED_PROXY",
        value_delimiter = ','
    )]
    trusted_proxy: Vec<String>,
    /// Bearer tokens one user may hold; issuing one more revokes the oldest.
    #[arg(long, default_value_t = 32)]
    max_tokens_per_user: usize,
    /// Seconds from connect to a completed login.
    #[arg(long, default_value_t = 10.0)]
    login_timeout: f64,
    /// Seconds one frame may take to arrive once it has started.
    #[arg(long, default_value_t = 30.0)]
    frame_timeout: f64,
    /// Seconds without a request before a connection is closed.
    #[arg(long, default_value_t = 300.0)]
    idle_timeout: f64,
    /// Seconds a client may go without accepting any byte of a response (a slow reader that
    /// keeps reading is never cut off; one that stops is).
    #[arg(long, default_value_t = 30.0)]
    write_timeout: f64,
    /// Seconds shutdown waits for running connections to finish their current step.
    #[arg(long, default_value_t = 10.0)]
    shutdown_grace: f64,
    /// Seconds a silent TCP peer is kept before keepalive probes start.
    #[arg(long, default_value_t = 60.0)]
    keepalive: f64,
    /// TCP upload chunks are read whole while fewer than this many are being written at once,
    /// and streamed to storage in 256 KiB blocks from then on, which keeps memory near half a
    /// MiB per upload when every core is busy; 0 streams every chunk [default: 2 per core].
    #[arg(long, value_name = "CHUNKS")]
    stream_chunks_from: Option<usize>,
    /// Unfinished uploads one user may have at once.
    #[arg(long, default_value_t = 64)]
    max_uploads_per_user: usize,
    /// Seconds an untouched unfinished upload is kept.
    #[arg(long, default_value_t = 86400)]
    upload_ttl: u64,
    /// Seconds an upload's lease lasts without renewal: when a node dies mid-upload, another
    /// node may take the upload over this long after the dead one last touched it. Writers
    /// renew at every request and every 8 MiB, so keep it above the longest pause between.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    lease_ttl: u64,
    /// Seconds between sweeps for expired uploads (also closes idle upload writers).
    #[arg(long, default_value_t = 60.0)]
    sweep_interval: f64,
    /// Largest declared size of one upload (e.g. `4TiB`); larger ones are refused with
    /// `upload_too_large` (HTTP 413) before anything is reserved.
    #[arg(long, default_value = "4TiB", value_parser = crate::cli::size::parse_size)]
    max_upload_size: u64,
    /// An origin (`https://app.example:8443`) whose pages may call the HTTP API with
    /// credentials and read its answers, tus/IETF upload headers included (CORS). Repeat it,
    /// or give a comma-separated list; `*` is refused. Off by default.
    #[arg(
        long = "cors-origin",
        env = "FERRY_CORS_ORIGIN",
        value_delimiter = ',',
        value_name = "ORIGIN",
        value_parser = ferry_http::cors::parse_origin
    )]
    cors_origin: Vec<ferry_http::cors::Origin>,
    /// Fewest characters a password may have, wherever one is set (the first-run admin's
    /// `FERRY_ADMIN_PASSWORD` here; `ferry user` has the same option).
    #[arg(long, env = "FERRY_MIN_PASSWORD_LENGTH", default_value_t = ferry_core::service::DEFAULT_MIN_PASSWORD_LENGTH)]
    pub(super) min_password_length: usize,
    #[command(flatten)]
    exec: ExecArgs,
    #[command(flatten)]
    pub(super) tls: TlsArgs,
    #[command(flatten)]
    pub(super) log: super::log::LogArgs,
    #[command(flatten)]
    config: super::config::ConfigArgs,
    #[command(flatten)]
    pub(super) metrics: super::metrics::MetricsArgs,
}

/// TLS for the doors. With a certificate the TCP door speaks TLS and the HTTP door HTTPS; the
/// certificate and key are read again on SIGHUP.
#[derive(Debug, Args)]
pub struct TlsArgs {
    /// PEM certificate chain (end entity first) for both doors.
    #[arg(
        long,
        env = "FERRY_TLS_CERT",
        requires = "tls_key",
        value_name = "FILE"
    )]
    pub(super) tls_cert: Option<PathBuf>,
    /// PEM private key of `--tls-cert`.
    #[arg(
        long,
        env = "FERRY_TLS_KEY",
        requires = "tls_cert",
        value_name = "FILE"
    )]
    pub(super) tls_key: Option<PathBuf>,
    /// PEM certificate chain for the HTTP door only (instead of `--tls-cert` there).
    #[arg(long, requires = "http_tls_key", value_name = "FILE")]
    pub(super) http_tls_cert: Option<PathBuf>,
    /// PEM private key of `--http-tls-cert`.
    #[arg(long, requires = "http_tls_cert", value_name = "FILE")]
    pub(super) http_tls_key: Option<PathBuf>,
    /// Make (once) and serve a self-signed certificate for the listen addresses, `localhost`
    /// and 127.0.0.1, kept in DATA/tls/; its SHA-256 fingerprint is printed at start.
    #[arg(long, conflicts_with = "tls_cert")]
    pub(super) tls_self_signed: bool,
}

/// Remote-command limits (see `ferry user set --exec` for who may run what).
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Turn remote commands off for everyone, whatever the accounts allow.
    #[arg(long)]
    no_exec: bool,
    /// The fixed PATH programs are resolved on and commands see.
    #[arg(long, default_value = "/usr/local/bin:/usr/bin:/bin")]
    exec_path: String,
    /// Seconds a command may run when the client asks for no timeout.
    #[arg(long, default_value_t = 30)]
    exec_timeout: u64,
    /// Largest timeout in seconds; longer requests are clamped to it.
    #[arg(long, default_value_t = 300)]
    exec_max_timeout: u64,
    /// Bytes of stdout, and of stderr, kept per command; the rest is discarded.
    #[arg(long, default_value_t = 1 << 20)]
    exec_output_cap: u64,
    /// Commands one user may run at once.
    #[arg(long, default_value_t = 4)]
    exec_max_per_user: usize,
    /// CPU seconds per command (RLIMIT_CPU; 0 = inherit).
    #[arg(long, default_value_t = 300)]
    exec_cpu_secs: u64,
    /// Address space per command process in bytes (RLIMIT_AS; 0 = inherit).
    #[arg(long, default_value_t = 4 << 30)]
    exec_max_memory: u64,
    /// Largest file a command may write in bytes (RLIMIT_FSIZE; 0 = inherit).
    #[arg(long, default_value_t = 1 << 30)]
    exec_max_file_size: u64,
    /// Open files per command process (RLIMIT_NOFILE; 0 = inherit).
    #[arg(long, default_value_t = 256)]
    exec_max_open_files: u64,
    /// Processes and threads of the server's uid (RLIMIT_NPROC, counted by the kernel across
    /// that uid, the server included; not enforced for root; 0 = inherit).
    #[arg(long, default_value_t = 512)]
    exec_max_processes: u64,
    /// Let commands use the host's network. Off by default: each command gets an empty
    /// network namespace, so it cannot connect to this server's ports or anything else.
    #[arg(long)]
    exec_network: bool,
}

impl ExecArgs {
    fn config(&self) -> anyhow::Result<ferry_core::ExecConfig> {
        let nonzero = |v: u64| (v > 0).then_some(v);
        let launcher = if self.no_exec {
            None
        } else {
            Some(std::env::current_exe().context("cannot find the ferry binary for exec")?)
        };
        Ok(ferry_core::ExecConfig {
            launcher,
            path: self.exec_path.clone(),
            default_timeout: Duration::from_secs(self.exec_timeout.max(1)),
            max_timeout: Duration::from_secs(self.exec_max_timeout.max(1)),
            output_cap: self.exec_output_cap,
            max_per_user: self.exec_max_per_user,
            limits: ferry_core::exec::ResourceLimits {
                cpu_secs: nonzero(self.exec_cpu_secs),
                address_space: nonzero(self.exec_max_memory),
                file_size: nonzero(self.exec_max_file_size),
                open_files: nonzero(self.exec_max_open_files),
                processes: nonzero(self.exec_max_processes),
            },
            network: self.exec_network,
        })
    }
}

impl ServeArgs {
    /// The core's configuration for the data folder (which must exist by now).
    pub(super) fn core_config(&self) -> anyhow::Result<Config> {
        self.validate_trusted_proxies()?;
        let mut config = Config::new(&self.data);
        config.upload_ttl = Duration::from_secs(self.upload_ttl);
        config.lease_ttl = Duration::from_secs(self.lease_ttl);
        config.uploads_shared = self.meta.is_some();
        config.max_uploads_per_user = self.max_uploads_per_user;
        config.token_ttl = Duration::from_secs(self.token_ttl.max(1));
        config.max_tokens_per_user = self.max_tokens_per_user.max(1);
        config.exec = self.exec.config()?;
        config.max_upload_size = self.max_upload_size;
        config.min_password_length = self.min_password_length;
        Ok(config)
    }

    /// The TCP door's limits.
    pub(super) fn tcp_limits(&self) -> ferry_tcp::Limits {
        ferry_tcp::Limits {
            max_connections: self.max_connections,
            max_per_source: self.max_connections_per_source.max(1),
            max_unauthenticated: self.max_unauthenticated,
            startups: self.startup_limits(),
            login_timeout: secs(self.login_timeout),
            frame_timeout: secs(self.frame_timeout),
            idle_timeout: secs(self.idle_timeout),
            write_timeout: secs(self.write_timeout),
            shutdown_grace: secs(self.shutdown_grace),
            keepalive: secs(self.keepalive.max(1.0)),
            stream_chunks_from: self
                .stream_chunks_from
                .unwrap_or_else(ferry_tcp::limits::default_stream_chunks_from),
        }
    }

    /// The HTTP door's limits.
    pub(super) fn http_limits(&self) -> ferry_http::Limits {
        ferry_http::Limits {
            max_connections: self.max_connections,
            max_per_source: self.max_connections_per_source.max(1),
            max_in_flight: self.http_max_in_flight.max(1),
            header_timeout: secs(self.http_header_timeout),
            max_header_bytes: self.http_max_header_bytes,
            body_idle_timeout: secs(self.http_body_timeout),
            max_chunk: self.http_max_chunk,
            shutdown_grace: secs(self.shutdown_grace),
            first_request_timeout: secs(self.http_first_request_timeout),
            startups: self.startup_limits(),
            trusted_proxies: self.trusted_proxies(),
            cors_origins: self.cors_origin.clone(),
            ..ferry_http::Limits::default()
        }
    }

    fn startup_limits(&self) -> ferry_net::StartupLimits {
        let (start, rate, full) = self.max_startups;
        ferry_net::StartupLimits {
            per_source: self.max_startups_per_source.max(1),
            start,
            rate,
            full,
        }
    }

    /// The `--trusted-proxy` networks; checked by `validate_trusted_proxies` at startup.
    fn trusted_proxies(&self) -> ferry_net::TrustedProxies {
        ferry_net::TrustedProxies::parse(&self.trusted_proxy).unwrap_or_default()
    }

    /// Refuses a `--trusted-proxy` that is not a network, rather than trusting nothing.
    pub(super) fn validate_trusted_proxies(&self) -> anyhow::Result<()> {
        ferry_net::TrustedProxies::parse(&self.trusted_proxy)
            .map(drop)
            .map_err(|e| anyhow::anyhow!("--trusted-proxy: {e}"))
    }

    /// Whether `--print-config` asks for the configuration instead of a server.
    pub fn print_config(&self) -> bool {
        self.config.print_config
    }

    /// How often expired uploads are swept.
    pub(super) fn sweep_every(&self) -> Duration {
        secs(self.sweep_interval)
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.001))
}
