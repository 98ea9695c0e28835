//! `--metrics ADDR`: Ferry's metrics in the Prometheus text format, on a listener of their own.
//!
//! Off by default. When on, the recorder is installed before anything counts (the crates
//! count through the `metrics` facade, see `ferry_metrics`), and `GET /metrics` answers with
//! the text rendered from it. Nothing else is served: any other path is `404`, any other method
//! `405`.
//!
//! The text is served here, by hyper under `ferry_net`'s listener, rather than by the
//! exporter's own HTTP listener: that one has no connection limit, no header deadline and no
//! drain, while this one is bounded like the doors (a few connections, a small request head
//! within a short deadline, each connection closed after a few seconds and at shutdown). Its connections and bytes are counted under
//! `door="metrics"`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use clap::Args;
use ferry_metrics::catalog::{
    EXEC_DURATION, EXEC_SECONDS_BUCKETS, REQUEST_DURATION, REQUEST_SECONDS_BUCKETS,
};
use ferry_net::{Accepted, Listener};
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Connections the metrics listener serves at once (a scraper or two, and a person).
const MAX_CONNECTIONS: usize = 8;
/// Time to send a request head, also the keep-alive idle limit.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one connection may last, whatever it does: a silent one holds a slot no longer.
const CONNECTION_TIME: Duration = Duration::from_secs(10);
/// Largest request head buffered.
const MAX_HEAD: usize = 8 * 1024;
/// How often histogram samples are folded in when nobody scrapes (they pile up until then).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);
/// The Prometheus text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The metrics listener.
#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// Address of a listener serving Prometheus metrics at GET /metrics (e.g.
    /// 127.0.0.1:9100). Off unless given.
    #[arg(long = "metrics", env = "FERRY_METRICS", value_name = "ADDR")]
    pub(super) addr: Option<SocketAddr>,
}

/// The installed recorder and the bound listener, until [`Metrics::serve`].
#[derive(Debug)]
pub(super) struct Metrics {
    handle: PrometheusHandle,
    listener: TcpListener,
}

impl Metrics {
    /// Installs the recorder and binds `addr`. Call it before anything that counts is built.
    pub(super) fn start(addr: SocketAddr) -> anyhow::Result<Metrics> {
        let listener = ferry_net::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(REQUEST_DURATION.into()),
                REQUEST_SECONDS_BUCKETS,
            )?
            .set_buckets_for_metric(Matcher::Full(EXEC_DURATION.into()), EXEC_SECONDS_BUCKETS)?
            .install_recorder()
            .context("cannot install the metrics recorder")?;
        ferry_metrics::describe();
        ferry_metrics::enable();
        Ok(Metrics { handle, listener })
    }

    /// The address it listens on.
    pub(super) fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves `GET /metrics` until `shutdown`.
    pub(super) async fn serve(self, shutdown: CancellationToken) {
        let Metrics { handle, listener } = self;
        tokio::spawn(upkeep(handle.clone(), shutdown.clone()));
        let listener = Listener::new(
            listener,
            ferry_net::Limits {
                door: "metrics",
                max_connections: MAX_CONNECTIONS,
                max_per_source: MAX_CONNECTIONS,
                keepalive: None,
                shutdown_grace: Duration::from_secs(1),
                ..ferry_net::Limits::default()
            },
        );
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .max_buf_size(MAX_HEAD)
            .keep_alive(true);
        ferry_net::run(listener, shutdown, move |accepted: Accepted| {
            let handle = handle.clone();
            let service = hyper::service::service_fn(move |req: Request<_>| {
                let resp = answer(&handle, &req);
                async move { Ok::<_, Infallible>(resp) }
            });
            let conn = builder.serve_connection(TokioIo::new(accepted.stream), service);
            let permit = accepted.permit;
            async move {
                let _permit = permit;
                let _ = tokio::time::timeout(CONNECTION_TIME, conn).await;
            }
        })
        .await;
    }
}

/// The answer to one request: the metrics for `GET /metrics`, a refusal for anything else.
fn answer<B>(handle: &PrometheusHandle, req: &Request<B>) -> Response<Full<Bytes>> {
    let (status, body) = match (req.method(), req.uri().path()) {
        (&Method::GET, "/metrics") => (StatusCode::OK, handle.render()),
        (_, "/metrics") => (StatusCode::METHOD_NOT_ALLOWED, "use GET\n".into()),
        _ => (StatusCode::NOT_FOUND, "metrics are at /metrics\n".into()),
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    let content_type = match status {
        StatusCode::OK => CONTENT_TYPE,
        _ => "text/plain; charset=utf-8",
    };
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    if status == StatusCode::METHOD_NOT_ALLOWED {
        resp.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET"));
    }
    resp
}

/// Folds histogram samples in periodically, so memory stays flat however rarely it is scraped.
async fn upkeep(handle: PrometheusHandle, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(UPKEEP_EVERY);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => handle.run_upkeep(),
        }
    }
}
