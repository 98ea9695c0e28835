//! `ferry serve`: opens the data folder, bootstraps the first user, runs the doors until a
//! signal asks for a graceful shutdown.

mod args;
mod tls;

use std::time::Duration;

use anyhow::Context;
use ferry_core::{Ferry, Username};
use tokio_util::sync::CancellationToken;

pub use args::ServeArgs;

/// Runs the server until SIGTERM or Ctrl-C, then drains both doors and checkpoints uploads.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging();
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("cannot create the data folder {}", args.data.display()))?;
    let ferry = ferry_store_local::open(args.core_config()?).await?;
    ferry_core::exec::isolate::hide_server_process();
    report_exec_sandbox(&ferry).await;
    bootstrap_admin(&ferry).await?;

    let limits = args.tcp_limits();
    let listener =
        ferry_tcp::bind(args.tcp).with_context(|| format!("cannot listen on {}", args.tcp))?;
    let local = listener.local_addr()?;
    let http_limits = args.http_limits();
    let http_listener = ferry_http::bind(args.http)
        .await
        .with_context(|| format!("cannot listen on {}", args.http))?;
    let http_local = http_listener.local_addr()?;
    let doors_tls = tls::DoorsTls::load(&args.tls, &args.data, [local, http_local])?;
    println!("ferry: data folder {}", args.data.display());
    doors_tls.announce();
    // Both lines keep their shape with TLS on (scripts read the address from them); only the
    // HTTP door's scheme says so.
    println!("ferry: tcp listening on {local}");
    let scheme = if doors_tls.http.is_some() {
        "https"
    } else {
        "http"
    };
    println!("ferry: http listening on {scheme}://{http_local}/ (API docs at /docs/)");

    let shutdown = CancellationToken::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    let (tcp_tls, http_tls) = (doors_tls.tcp.clone(), doors_tls.http.clone());
    tokio::spawn(doors_tls.reload_on_sighup(shutdown.clone()));
    tokio::spawn(sweep_loop(
        ferry.clone(),
        args.sweep_every(),
        shutdown.clone(),
    ));
    let http = ferry_http::serve_with_tls(
        http_listener,
        ferry_http::app(ferry.clone(), http_limits.clone()),
        http_limits,
        http_tls,
        shutdown.clone(),
    );
    tokio::join!(
        ferry_tcp::run_with_tls(listener, ferry.clone(), limits, tcp_tls, shutdown),
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
        Ok(r) if !r.isolated() => println!(
            "ferry: ERROR: remote commands are refused: this server can create no PID namespace \
             to isolate them (run as root, or allow unprivileged user namespaces); Landlock {}",
            r.landlock
        ),
        Ok(r) if r.fully_enforced() => println!(
            "ferry: exec confinement active: Landlock ABI {} fully enforced, isolation {}, \
             network {}",
            r.abi.unwrap_or(0),
            r.isolation,
            if r.network { "host" } else { "none" }
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
/// printed once; it has the admin role, as the first account always does. A data folder from
/// before the role existed gets one admin (`admin`, else the oldest account).
async fn bootstrap_admin(ferry: &Ferry) -> anyhow::Result<()> {
    if ferry.has_users().await? {
        if let Some(name) = ferry.ensure_admin().await? {
            println!("ferry: gave the admin role to {name} (no account had it)");
        }
        return Ok(());
    }
    let admin: Username = "admin".parse()?;
    // The server's environment stays readable in /proc/PID/environ whatever is unset later (and
    // unsetting is `unsafe` in this edition), so the secrets are kept from commands instead:
    // the server process is made non-dumpable at start, which makes its /proc files root-only,
    // and commands run in their own PID namespace and never inherit the environment.
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
    // Colour only for a person at a terminal: a log file or journald would otherwise keep
    // the escape codes. `NO_COLOR` (no-color.org) turns it off on a terminal too.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .try_init();
}
