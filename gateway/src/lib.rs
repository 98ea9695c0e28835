//! Ferry's HTTP/JSON door: a thin axum adapter over [`ferry_core`]. No storage or policy
//! decision is made here; handlers translate HTTP to core calls and back.
//!
//! - [`app`]: the router with its layers (what tests call with `oneshot`); [`serve`] runs it
//!   on a socket under [`Limits`].
//! - [`routes`]: one file per resource — session (login/logout), files (download, whole-body
//!   upload, delete), dirs (list, mkdir, stat, move, quota), uploads (Content-Range
//!   resumable uploads), public (health, spec, web page).
//! - [`auth`]: HTTP Basic or bearer token to a core session.
//! - [`error`]: the one mapping from errors to status codes and RFC 9457 problems.
//! - [`headers`]: pure parsers and formatters for Range, Content-Range, digests, ETags.
//! - [`body`]: request bodies as `AsyncRead` with an idle deadline.
//! - [`openapi`]: the spec generated from the handlers (`ferry openapi` prints it).

pub mod auth;
pub mod body;
pub mod error;
pub mod extract;
pub mod headers;
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

pub use server::{bind, serve};
pub use state::{AppState, Limits};

use crate::error::{ApiError, HttpError};

/// The whole HTTP application over `ferry`.
pub fn app(ferry: Ferry, limits: Limits) -> Router {
    let state = AppState {
        ferry,
        limits: limits.clone(),
    };
    routes::router()
        .merge(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi.json", openapi_doc()))
        .fallback(|| async { ApiError::from(HttpError::NoRoute) })
        .method_not_allowed_fallback(|| async { ApiError::from(HttpError::MethodNotAllowed) })
        .layer(DefaultBodyLimit::max(limits.max_json))
        .layer(middleware::from_fn(common_headers))
        .layer(tower::limit::ConcurrencyLimitLayer::new(
            limits.max_in_flight,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            ApiError::from(HttpError::Panic).into_response()
        }))
        .with_state(state)
}

fn openapi_doc() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    openapi::ApiDoc::openapi()
}

/// Headers every response carries, and the 401 challenge fitted to the client: a request
/// that used a bearer token (the web page) is not offered Basic, so browsers never pop up
/// their own login dialog.
async fn common_headers(req: Request<axum::body::Body>, next: Next) -> Response {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "));
    let web = req.headers().contains_key("x-requested-with");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if (bearer || web) && h.contains_key(header::WWW_AUTHENTICATE) {
        h.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"ferry\""),
        );
    }
    resp
}
