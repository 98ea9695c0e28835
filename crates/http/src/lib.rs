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
pub mod error;
pub mod extract;
pub mod headers;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod server;
pub mod state;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use ferry_core::Ferry;
use tower_http::catch_panic::CatchPanicLayer;

pub use ferry_net::Tls;
pub use server::{HSTS, bind, serve, serve_with_tls};
pub use state::{AppState, Limits};

use crate::error::{ApiError, HttpError};

/// The whole HTTP application over `ferry`.
pub fn app(ferry: Ferry, limits: Limits) -> Router {
    let state = AppState {
        ferry,
        limits: limits.clone(),
    };
    let cors = (!limits.cors_origins.is_empty()).then(|| cors::Cors::new(&limits.cors_origins));
    let router = routes::router()
        .merge(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi.json", openapi_doc()))
        .fallback(|| async { ApiError::from(HttpError::NoRoute) })
        .method_not_allowed_fallback(|| async { ApiError::from(HttpError::MethodNotAllowed) })
        .layer(DefaultBodyLimit::max(limits.max_json))
        .layer(middleware::from_fn_with_state(
            limits.max_header_bytes,
            limit_head,
        ))
        .layer(middleware::from_fn(common_headers))
        .layer(tower::limit::ConcurrencyLimitLayer::new(
            limits.max_in_flight,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            ApiError::from(HttpError::Panic).into_response()
        }));
    // Outermost, so preflights are answered before any limit and every answer, errors too,
    // carries the headers a listed origin needs to read it.
    let router = match cors {
        Some(cors) => router.layer(middleware::from_fn_with_state(cors, cors::middleware)),
        None => router,
    };
    // Outside even CORS, so every answer gets its line; still per route (a `Router` layer),
    // so the route template is known.
    let router = router.layer(middleware::from_fn(access::log));
    // Outermost of all, so the time includes the wait for an in-flight slot; left out when
    // no recorder is installed, so a server without metrics pays nothing for it.
    let router = match ferry_metrics::enabled() {
        true => router.layer(middleware::from_fn(metrics::track)),
        false => router,
    };
    router.with_state(state)
}

fn openapi_doc() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    openapi::ApiDoc::openapi()
}

/// Refuses a request head larger than `max` bytes with `431`. hyper bounds its read buffer
/// (`max_buf_size`) but a head that arrives in one read can pass that check, so the exact cap
/// is enforced here, before any handler runs.
async fn limit_head(
    axum::extract::State(max): axum::extract::State<usize>,
    req: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let size: usize = req.uri().to_string().len()
        + req
            .headers()
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 4)
            .sum::<usize>();
    if size > max {
        return ApiError::from(HttpError::HeadTooLarge { max }).into_response();
    }
    next.run(req).await
}

/// Headers every response carries, and the 401 challenge fitted to the client: a request
/// that used a bearer token or the download cookie (the web page and its download links) is
/// not offered Basic, so browsers never pop up their own login dialog.
async fn common_headers(req: Request<axum::body::Body>, next: Next) -> Response {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "));
    let web =
        req.headers().contains_key("x-requested-with") || cookie::read(req.headers()).is_some();
    let has_body = req.headers().contains_key(header::TRANSFER_ENCODING)
        || req
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    let mut resp = next.run(req).await;
    resp.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    // An error may be answered before the body was read; hyper then closes the connection,
    // so say so, or a pooling client would send its next request into a dead socket.
    if has_body && (resp.status().is_client_error() || resp.status().is_server_error()) {
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    let h = resp.headers_mut();
    if (bearer || web) && h.contains_key(header::WWW_AUTHENTICATE) {
        h.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"ferry\""),
        );
    }
    resp
}
