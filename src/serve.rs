//! `ferry serve`: opens the data folder, bootstraps the first user, runs the doors until a
//! signal asks for a graceful shutdown.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use ferry_core::{Config, Ferry, Username};
use tokio_util::sync::CancellationToken;

/// Options of `ferry serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Data folder: homes and server state (created if missing).
    #[arg(long, env = "FERRY_DATA", default_value = "ferry-data")]
    data: PathBuf,
    /// Address of the framed TCP door.
    #[arg(long, default_value = "127.0.0.1:7070")]
    tcp: SocketAddr,
    /// Address of the HTTP door (API, web page, /docs).
    #[arg(long, default_value = "127.0.0.1:8080")]
    http: SocketAddr,
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
    /// Largest resumable-upload chunk accepted in one HTTP request, in bytes.
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    http_max_chunk: u64,
    /// Seconds a bearer token from /api/v1/login stays valid.
    #[arg(long, default_value_t = 86400)]
    token_ttl: u64,
    /// Connections not yet logged in at once.
    #[arg(long, default_value_t = 64)]
    max_unauthenticated: usize,
    /// Seconds from connect to a completed login.
    #[arg(long, default_value_t = 10.0)]
    login_timeout: f64,
    /// Seconds one frame may take to arrive once it has started.
    #[arg(long, default_value_t = 30.0)]
    frame_timeout: f64,
    /// Seconds without a request before a connection is closed.
    #[arg(long, default_value_t = 300.0)]
    idle_timeout: f64,
    /// Seconds a response may take to be accepted by a client that does not read.
    #[arg(long, default_value_t = 30.0)]
    write_timeout: f64,
    /// Seconds shutdown waits for running connections to finish their current step.
    #[arg(long, default_value_t = 10.0)]
    shutdown_grace: f64,
    /// Seconds a silent TCP peer is kept before keepalive probes start.
    #[arg(long, default_value_t = 60.0)]
    keepalive: f64,
    /// Unfinished uploads one user may have at once.
    #[arg(long, default_value_t = 64)]
    max_uploads_per_user: usize,
    /// Seconds an untouched unfinished upload is kept.
    #[arg(long, default_value_t = 86400)]
    upload_ttl: u64,
    /// Seconds between sweeps for expired uploads (also closes idle upload writers).
    #[arg(long, default_value_t = 60.0)]
    sweep_interval: f64,
    /// Largest declared size of one upload (e.g. `4TiB`); larger ones are refused with
    /// `upload_too_large` (HTTP 413) before anything is reserved.
    #[arg(long, default_value = "4TiB", value_parser = crate::cli::size::parse_size)]
    max_upload_size: u64,
    #[command(flatten)]
    exec: ExecArgs,
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
        })
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.001))
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging();
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("cannot create the data folder {}", args.data.display()))?;
    let mut config = Config::new(&args.data);
    config.upload_ttl = Duration::from_secs(args.upload_ttl);
    config.max_uploads_per_user = args.max_uploads_per_user;
    config.token_ttl = Duration::from_secs(args.token_ttl.max(1));
    config.exec = args.exec.config()?;
    config.max_upload_size = args.max_upload_size;
    let ferry = ferry_store_local::open(config).await?;
    report_exec_sandbox(&ferry).await;
    bootstrap_admin(&ferry).await?;

    let limits = ferry_tcp::Limits {
        max_connections: args.max_connections,
        // Equal to the connection limit, so one source may still use all of it, as before
        // the per-source limit existed.
        max_per_source: args.max_connections,
        max_unauthenticated: args.max_unauthenticated,
        login_timeout: secs(args.login_timeout),
        frame_timeout: secs(args.frame_timeout),
        idle_timeout: secs(args.idle_timeout),
        write_timeout: secs(args.write_timeout),
        shutdown_grace: secs(args.shutdown_grace),
        keepalive: secs(args.keepalive.max(1.0)),
    };
    let listener =
        ferry_tcp::bind(args.tcp).with_context(|| format!("cannot listen on {}", args.tcp))?;
    let local = listener.local_addr()?;
    let http_limits = ferry_http::Limits {
        max_connections: args.max_connections,
        max_in_flight: args.http_max_in_flight.max(1),
        header_timeout: secs(args.http_header_timeout),
        max_header_bytes: args.http_max_header_bytes,
        body_idle_timeout: secs(args.http_body_timeout),
        max_chunk: args.http_max_chunk,
        shutdown_grace: secs(args.shutdown_grace),
        ..ferry_http::Limits::default()
    };
    let http_listener = ferry_http::bind(args.http)
        .await
        .with_context(|| format!("cannot listen on {}", args.http))?;
    let http_local = http_listener.local_addr()?;
    println!("ferry: data folder {}", args.data.display());
    println!("ferry: tcp listening on {local}");
    println!("ferry: http listening on http://{http_local}/ (API docs at /docs/)");

    let shutdown = CancellationToken::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    tokio::spawn(sweep_loop(
        ferry.clone(),
        secs(args.sweep_interval),
        shutdown.clone(),
    ));
    let http = ferry_http::serve(
        http_listener,
        ferry_http::app(ferry.clone(), http_limits.clone()),
        http_limits,
        shutdown.clone(),
    );
    tokio::join!(
        ferry_tcp::run(listener, ferry.clone(), limits, shutdown),
        http
    );
    // The doors are closed: checkpoint and close the upload writers kept between requests.
    ferry.shutdown().await;
    println!("ferry: stopped");
    Ok(())
}

/// Logs whether commands run confined by Landlock, as the launcher itself reports it.
async fn report_exec_sandbox(ferry: &Ferry) {
    let config = ferry.config();
    if config.exec.launcher.is_none() {
        println!("ferry: remote commands are off (--no-exec)");
        return;
    }
    match ferry_core::exec::probe(&config.exec, &config.data_dir).await {
        Ok(r) if r.fully_enforced() => println!(
            "ferry: exec confinement active: Landlock ABI {} fully enforced",
            r.abi.unwrap_or(0)
        ),
        Ok(r) => {
            let note = r.note.unwrap_or_default();
            println!(
                "ferry: WARNING: exec confinement {}: {note}; commands can reach files outside the home",
                if r.landlock == "partial" {
                    "partial"
                } else {
                    "NOT active"
                }
            );
            tracing::warn!(landlock = %r.landlock, abi = ?r.abi, "exec confinement incomplete");
        }
        Err(e) => {
            println!("ferry: WARNING: exec launcher probe failed; confinement unknown");
            tracing::warn!(error = ?e, "exec launcher probe failed");
        }
    }
}

/// On first run (no accounts), creates `admin` with `FERRY_ADMIN_PASSWORD` or a random password
/// printed once.
async fn bootstrap_admin(ferry: &Ferry) -> anyhow::Result<()> {
    if ferry.has_users().await? {
        return Ok(());
    }
    let admin: Username = "admin".parse()?;
    let (password, shown) = match std::env::var("FERRY_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (crate::admin::random_password()?, true),
    };
    ferry.add_user(admin, password.clone(), None).await?;
    if shown {
        println!("ferry: created user admin with password {password}");
        println!("ferry: (shown once; change it with `ferry user passwd admin`)");
    } else {
        println!("ferry: created user admin with the password from FERRY_ADMIN_PASSWORD");
    }
    Ok(())
}

async fn sweep_loop(ferry: Ferry, every: Duration, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Err(e) = ferry.sweep_expired().await {
            tracing::warn!(error = ?e, "sweeping expired uploads failed");
        }
    }
}

async fn wait_for_signal(shutdown: CancellationToken) {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
    tracing::info!("shutdown requested; letting running transfers stop cleanly");
    shutdown.cancel();
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FERRY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
