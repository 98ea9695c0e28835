//! The door's edge: everything each request passes through once, around the whole router
//! rather than around each route.
//!
//! In order, outermost first:
//! 1. [`edge`] (one middleware): the access line and its span ([`crate::access`]), the head
//!    size cap (`431`), the request metrics when a recorder is installed
//!    ([`crate::metrics`]), CORS for the listed origins ([`crate::cors`]), and the headers
//!    every answer carries;
//! 2. the panic catcher (`500 internal`) and the in-flight cap (requests wait for a slot);
//! 3. the JSON body cap, then the router.
//!
//! Why one middleware around the router: axum's `Router::layer` wraps every route in a boxed
//! service of its own, and each request clones every level and boxes its future again. With
//! seven layers that way, the layers were a fifth of the CPU of a 4 KiB `GET` (wrk against
//! `/healthz` went from ~87 000 to ~127 000 requests/s with them removed). Around the router,
//! the stack is one concrete service, cloned per request without allocating.
//!
//! What the edge needs from routing — the route template for the access line and the
//! metrics — comes back on the response: [`RouteLabel`], the one per-route layer, copies
//! axum's [`MatchedPath`] into the response's extensions. An answer that never reached a
//! route (`431`, a CORS preflight, a panic) has no template and is logged as `-`.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use crate::cookie;
use crate::cors::Cors;
use crate::error::{ApiError, HttpError};

/// What [`edge`] is configured with.
#[derive(Debug)]
pub struct Edge {
    /// Largest request head (request line and headers), in bytes.
    pub max_head: usize,
    /// CORS for the listed origins; `None` (the default) turns it off.
    pub cors: Option<Cors>,
    /// Whether requests are counted and timed (a metrics recorder is installed).
    pub metrics: bool,
}

/// The edge middleware; see the module documentation.
pub async fn edge(State(edge): State<Arc<Edge>>, req: Request, next: Next) -> Response {
    let (req, line) = crate::access::begin(req);
    let method = edge.metrics.then(|| req.method().clone());
    let asked = Asked::of(&req);
    let span = line.span().clone();
    let resp = match head_size(&req) {
        size if size > edge.max_head => {
            ApiError::from(HttpError::HeadTooLarge { max: edge.max_head }).into_response()
        }
        _ => match &edge.cors {
            Some(cors) => crate::cors::handle(cors, req, next).instrument(span).await,
            None => next.run(req).instrument(span).await,
        },
    };
    let resp = asked.fit(resp);
    if let Some(method) = method {
        crate::metrics::record(&method, line.started(), &resp);
    }
    line.finish(resp)
}

/// The size of a request head as the cap counts it: the target as sent, and each header's
/// name and value with their separators. hyper bounds its read buffer (`max_buf_size`) but a
/// head that arrives in one read can pass that check, so the exact cap is enforced here,
/// before any handler runs.
fn head_size(req: &Request) -> usize {
    let uri = req.uri();
    let target = uri.scheme_str().map_or(0, |s| s.len() + 3)
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path_and_query().map_or(1, |pq| pq.as_str().len());
    target
        + req
            .headers()
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 4)
            .sum::<usize>()
}

/// What the request said that shapes the common headers of its answer.
struct Asked {
    /// Credentials came as a bearer token.
    bearer: bool,
    /// The request came from the web page (its header or its download cookie).
    web: bool,
    /// The request has a body.
    has_body: bool,
}

impl Asked {
    fn of(req: &Request) -> Self {
        let h = req.headers();
        Asked {
            bearer: h
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ")),
            web: h.contains_key("x-requested-with") || cookie::read(h).is_some(),
            has_body: h.contains_key(header::TRANSFER_ENCODING)
                || h.get(header::CONTENT_LENGTH)
                    .is_some_and(|v| v.as_bytes() != b"0"),
        }
    }

    /// Headers every answer carries, and the 401 challenge fitted to the client: a request
    /// that used a bearer token or the download cookie (the web page and its download links)
    /// is not offered Basic, so browsers never pop up their own login dialog.
    fn fit(&self, mut resp: Response) -> Response {
        let failed = resp.status().is_client_error() || resp.status().is_server_error();
        let h = resp.headers_mut();
        h.insert(
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        );
        // An error may be answered before the body was read; hyper then closes the
        // connection, so say so, or a pooling client would send its next request into a dead
        // socket.
        if self.has_body && failed {
            h.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if (self.bearer || self.web) && h.contains_key(header::WWW_AUTHENTICATE) {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"ferry\""),
            );
        }
        resp
    }
}

/// The per-route layer: puts the route template axum matched into the response's
/// extensions, where [`edge`] reads it. Hand-written because axum's `from_fn` and
/// `map_response` would box the future and clone a boxed service on every request, the very
/// cost this module removes; this one adds neither.
#[derive(Debug, Clone, Copy, Default)]
pub struct RouteLabel;

impl<S> tower::Layer<S> for RouteLabel {
    type Service = Labelled<S>;

    fn layer(&self, inner: S) -> Labelled<S> {
        Labelled { inner }
    }
}

/// A route's service under [`RouteLabel`].
#[derive(Debug, Clone)]
pub struct Labelled<S> {
    inner: S,
}

impl<S> tower::Service<Request> for Labelled<S>
where
    S: tower::Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = LabelledFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        LabelledFuture {
            route: req.extensions().get::<MatchedPath>().cloned(),
            inner: self.inner.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of a [`Labelled`] call.
    pub struct LabelledFuture<F> {
        route: Option<MatchedPath>,
        #[pin]
        inner: F,
    }
}

impl<F, E> Future for LabelledFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut resp = std::task::ready!(this.inner.poll(cx))?;
        if let Some(route) = this.route.take() {
            resp.extensions_mut().insert(route);
        }
        Poll::Ready(Ok(resp))
    }
}
