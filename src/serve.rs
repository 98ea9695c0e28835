//! `ferry serve`: opens the data folder, bootstraps the first user, runs the doors until a
//! signal asks for a graceful shutdown.

mod args;
mod bootstrap;
pub mod config;
mod log;
mod metrics;
mod notify;
mod tls;

use std::time::Duration;

use anyhow::Context;
use ferry_core::Ferry;
use tokio_util::sync::CancellationToken;

pub use args::ServeArgs;
pub use log::init_for_admin as init_admin_log;

/// Runs the server until SIGTERM or Ctrl-C, then drains both doors and checkpoints uploads.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let _log = args.log.init();
    // First, so that everything built after it counts.
    let metrics = args.metrics.addr.map(metrics::Metrics::start).transpose()?;
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("cannot create the data folder {}", args.data.display()))?;
    let ferry = crate::stores::open(
        args.core_config()?,
        args.meta.as_deref(),
        args.files.s3_store().as_ref(),
    )
    .await?;
    log::set_node(ferry.node());
    if metrics.is_some() {
        ferry.count_unfinished_uploads().await?;
    }
    ferry_core::exec::isolate::hide_server_process();
    report_exec_sandbox(&ferry).await;
    bootstrap::admin(&ferry, &args.data, args.min_password_length).await?;

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
    // Signal handlers first: once the banner says the server listens, a service manager may
    // send SIGHUP or SIGTERM at any time.
    let hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let shutdown = CancellationToken::new();
    tokio::spawn(wait_for_signal(
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok(),
        shutdown.clone(),
    ));
    println!("ferry: data folder {}", args.data.display());
    if let Some(url) = &args.meta {
        println!(
            "ferry: metadata in PostgreSQL {}, node {}",
            crate::stores::mask_password(url),
            ferry.node()
        );
    }
    if let Some(store) = &args.files.store {
        println!("ferry: files in S3 {store}");
    }
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

    if let Some(metrics) = metrics {
        println!(
            "ferry: metrics listening on http://{}/metrics",
            metrics.local_addr()?
        );
        tokio::spawn(metrics.serve(shutdown.clone()));
    }
    notify::notify(&format!(
        "READY=1\nSTATUS=tcp {local}, http {scheme}://{http_local}/"
    ));

    let (tcp_tls, http_tls) = (doors_tls.tcp.clone(), doors_tls.http.clone());
    tokio::spawn(doors_tls.reload_on_sighup(hup, shutdown.clone()));
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

async fn wait_for_signal(term: Option<tokio::signal::unix::Signal>, shutdown: CancellationToken) {
    let term = async {
        match term {
            Some(mut s) => {
                s.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
    tracing::info!("shutdown requested; letting running transfers stop cleanly");
    notify::notify("STOPPING=1");
    shutdown.cancel();
}
