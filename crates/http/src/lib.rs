//! Ferry's HTTP/JSON door: a thin axum adapter over [`ferry_core`]. No storage or policy
//! decision is made here; handlers translate HTTP to core calls and back.
//!
//! - [`app`]: the router with its layers (what tests call with `oneshot`); [`serve`] runs it
//!   on a socket under [`Limits`].
//! - [`routes`]: one file per resource — session (login/logout), me (the user's own account),
//!   password (changing one's own), admin (account administration for the admin role),
//!   shares (the owner's share links), share (the public `/s/{id}` pages, downloads, zip and
//!   drop box),
//!   files (download, whole-body upload, delete), dirs (list, mkdir, stat, move, quota),
//!   uploads (Content-Range resumable uploads), tus (tus 1.0 over the same upload sessions),
//!   resumable (the IETF resumable-upload draft, the same sessions again), exec (commands,
//!   whole or streamed as NDJSON),
//!   public (health), web (the embedded web page under its strict CSP).
//! - [`edge`]: what every request passes through once around the router: the access line,
//!   the head cap, metrics, CORS, common headers, the panic catcher and the in-flight cap.
//! - [`access`]: the access line of each request, and the span its core calls run in.
//! - [`auth`]: HTTP Basic or bearer token to a core session.
//! - [`cookie`]: the download cookie, a read-only capability for plain download links.
//! - [`cors`]: CORS for the origins of `--cors-origin` (off by default).
//! - [`error`]: the one mapping from errors to status codes and RFC 9457 problems.
//! - [`headers`]: pure parsers and formatters for Range, Content-Range, digests, ETags.
//! - [`body`]: request bodies as `AsyncRead` with an idle deadline.
//! - [`metrics`]: requests counted and timed by route template, when metrics are on.
//! - [`openapi`]: the spec generated from the handlers (`ferry openapi` prints it), from the
//!   tags and shared components of [`api_doc`], a leaf the routes import.

pub mod access;
pub mod api_doc;
pub mod auth;
pub mod body;
pub mod cookie;
pub mod cors;
pub mod edge;
pub mod error;
pub mod extract;
pub mod headers;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod server;
pub mod state;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::response::IntoResponse;
use ferry_core::Ferry;
use tower_http::catch_panic::CatchPanicLayer;

pub use ferry_net::Tls;
pub use server::{HSTS, bind, serve, serve_with_tls};
pub use state::{AppState, Limits};

use crate::error::{ApiError, HttpError};

/// The whole HTTP application over `ferry`: the routes under [`edge::RouteLabel`], inside
/// the door's edge stack (see [`edge`] for what it holds and why it wraps the router once
/// rather than each route).
pub fn app(ferry: Ferry, limits: Limits) -> Router {
    let edge = edge::Edge {
        max_head: limits.max_header_bytes,
        cors: (!limits.cors_origins.is_empty()).then(|| cors::Cors::new(&limits.cors_origins)),
        metrics: ferry_metrics::enabled(),
    };
    let (max_in_flight, max_json) = (limits.max_in_flight, limits.max_json);
    let state = AppState {
        ferry,
        limits: Arc::new(limits),
    };
    let routes = routes::router()
        .merge(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi.json", openapi_doc()))
        .fallback(|| async { ApiError::from(HttpError::NoRoute) })
        .method_not_allowed_fallback(|| async { ApiError::from(HttpError::MethodNotAllowed) })
        .layer(edge::RouteLabel)
        .with_state(state);
    let stack = tower::ServiceBuilder::new()
        .layer(middleware::from_fn_with_state(Arc::new(edge), edge::edge))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            ApiError::from(HttpError::Panic).into_response()
        }))
        .layer(tower::limit::ConcurrencyLimitLayer::new(max_in_flight))
        .layer(DefaultBodyLimit::max(max_json))
        .service(routes);
    // A router of no routes whose fallback is the stack: callers (the server, tests'
    // `oneshot`) keep a `Router`, and every request goes through the edge once.
    Router::new().fallback_service(stack)
}

fn openapi_doc() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    openapi::ApiDoc::openapi()
}
