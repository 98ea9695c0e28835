//! One access line per HTTP request, on the `ferry::access` target at `info`: method, route
//! template (never the raw path, which may carry names), status, bytes in and out, duration,
//! user and source, and the request id (also sent back as `X-Request-Id`).
//!
//! The request runs inside a span carrying `door`, `request_id`, `source` and, once the
//! credentials are checked, `user`, so the core's audit lines for the same request carry them
//! too. The line is written when the response body ends or is dropped, so a download's
//! duration and byte count are the whole transfer's, and a client that went away mid-download
//! still gets its line (`complete = false`).

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath};
use axum::http::{HeaderValue, Request};
use axum::response::Response;
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};

/// The target access lines are logged on (`--no-access-log` turns it off).
pub const TARGET: &str = "ferry::access";

/// Numbers requests within this process.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// What the access line needs from the request, taken by [`begin`] before it runs.
pub(crate) struct Pending {
    id: u64,
    started: Instant,
    method: axum::http::Method,
    span: tracing::Span,
    /// `None` for a request without a body.
    bytes_in: Option<Arc<AtomicU64>>,
}

/// Starts a request's access line: numbers the request, makes its span, and wraps its body
/// to count it (a request with no body is left unwrapped).
///
/// It runs for every request, so it keeps what the line needs in the cheapest form (the
/// address and id are formatted only by the log writer).
pub(crate) fn begin(req: Request<Body>) -> (Request<Body>, Pending) {
    let started = Instant::now();
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let source = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let method = req.method().clone();
    let span = tracing::info_span!(
        "http",
        door = "http",
        request_id = %format_args!("{id:x}"),
        source = %Source(source),
        user = tracing::field::Empty,
    );
    let bytes_in = match req.body().is_end_stream() || !lines_on() {
        true => None,
        false => Some(Arc::new(AtomicU64::new(0))),
    };
    let req = match &bytes_in {
        Some(count) => req.map(|b| {
            Body::new(Counted {
                inner: b,
                count: count.clone(),
                line: None,
            })
        }),
        None => req,
    };
    let pending = Pending {
        id,
        started,
        method,
        span,
        bytes_in,
    };
    (req, pending)
}

/// Whether access lines are written at all (`--no-access-log`, or a log level above
/// `info`): when not, no body is wrapped to count it.
fn lines_on() -> bool {
    tracing::enabled!(target: TARGET, tracing::Level::INFO)
}

impl Pending {
    /// The span the request runs in.
    pub(crate) fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// When the request reached the door (the line's duration and the metrics' start).
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// Sends the request id back, and wraps the response body to write the line when it
    /// ends or is dropped. The route template is the one [`crate::edge::RouteLabel`] put in
    /// the response's extensions (`-` when no route answered).
    pub(crate) fn finish(self, mut resp: Response) -> Response {
        resp.headers_mut().insert(
            "x-request-id",
            HeaderValue::from_str(&format!("{:x}", self.id)).expect("hex is a header value"),
        );
        if !lines_on() {
            return resp;
        }
        let status = resp.status().as_u16();
        let route = resp.extensions().get::<MatchedPath>().cloned();
        resp.map(|body| {
            Body::new(Counted {
                inner: body,
                count: Arc::default(),
                line: Some(Line {
                    span: self.span,
                    method: self.method,
                    route,
                    status,
                    started: self.started,
                    bytes_in: self.bytes_in,
                }),
            })
        })
    }
}

/// The client's address in a line, `-` when the connection has none (a test's `oneshot`).
struct Source(Option<std::net::IpAddr>);

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(ip) => ip.fmt(f),
            None => f.write_str("-"),
        }
    }
}

/// A body that counts the data bytes taken from it; a response body also writes the access
/// line when it ends or is dropped (`line`).
struct Counted {
    inner: Body,
    count: Arc<AtomicU64>,
    /// The access line still to write: response bodies only.
    line: Option<Line>,
}

impl HttpBody for Counted {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.count.fetch_add(data.len() as u64, Ordering::Relaxed);
                }
            }
            Poll::Ready(None) => self.write_line(true),
            Poll::Ready(Some(Err(_))) | Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// What the access line says besides the response's own byte count.
struct Line {
    span: tracing::Span,
    method: axum::http::Method,
    route: Option<MatchedPath>,
    status: u16,
    started: Instant,
    /// `None` for a request without a body.
    bytes_in: Option<Arc<AtomicU64>>,
}

impl Counted {
    /// Writes the access line, if this body has one still to write; `complete`: the whole
    /// body was sent.
    fn write_line(&mut self, complete: bool) {
        let Some(line) = self.line.take() else {
            return;
        };
        let _in_span = line.span.enter();
        tracing::info!(
            target: TARGET,
            method = line.method.as_str(),
            route = line.route.as_ref().map_or("-", MatchedPath::as_str),
            status = line.status,
            bytes_in = line.bytes_in.as_ref().map_or(0, |n| n.load(Ordering::Relaxed)),
            bytes_out = self.count.load(Ordering::Relaxed),
            duration_ms = line.started.elapsed().as_millis() as u64,
            complete,
            "access"
        );
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        // An empty body may be dropped without ever being polled to its end.
        let complete = self.inner.is_end_stream();
        self.write_line(complete);
    }
}
