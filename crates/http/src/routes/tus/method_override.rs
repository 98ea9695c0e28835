//! `X-HTTP-Method-Override`: a `POST` to an upload carrying it is served as the named method,
//! for clients behind proxies that block `PATCH` and `DELETE`.
//!
//! Dispatched here rather than by rewriting the method in a layer: axum picks the handler by
//! method before a router layer runs, so the rewrite would come too late.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::error::Tus;
use super::version::TusResumable;
use super::{concat, delete, head, patch, text};
use crate::auth::Authed;
use crate::error::{ApiError, HttpError};
use crate::extract::ApiPath;
use crate::state::AppState;

/// `405` with the `Allow` header RFC 9110 requires.
fn not_allowed() -> Response {
    let mut resp = Tus(HttpError::MethodNotAllowed.into()).into_response();
    resp.headers_mut().insert(
        header::ALLOW,
        HeaderValue::from_static("HEAD, PATCH, DELETE, OPTIONS"),
    );
    resp
}

/// The methods a `POST` to an upload may stand in for.
enum Override {
    Patch,
    Delete,
    Head,
}

impl Override {
    /// The method `X-HTTP-Method-Override` names; `None` (answered `405`) for any other or none.
    fn of(headers: &HeaderMap) -> Result<Option<Override>, Tus> {
        let method = text(headers, "x-http-method-override")?.unwrap_or_default();
        Ok(match method.trim().to_ascii_uppercase().as_str() {
            "PATCH" => Some(Override::Patch),
            "DELETE" => Some(Override::Delete),
            "HEAD" => Some(Override::Head),
            _ => None,
        })
    }
}

/// `POST /api/v1/tus/ID` with `X-HTTP-Method-Override: PATCH|DELETE|HEAD`.
///
/// Without the header a `POST` here is `405`, before the version or the credentials are
/// looked at, as for any method the route does not have.
pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    v: Result<TusResumable, Tus>,
    auth: Result<Authed, ApiError>,
    id: ApiPath<String>,
    body: Body,
) -> Result<Response, Tus> {
    let Some(method) = Override::of(&headers)? else {
        return Ok(not_allowed());
    };
    let (v, auth) = (v?, auth?);
    match method {
        Override::Patch => patch::patch(State(state), v, auth, id, headers, body).await,
        Override::Delete => delete::delete(v, auth, id).await,
        Override::Head => head::head(v, auth, id).await,
    }
}

/// `POST /api/v1/tus/final/PATH` with `X-HTTP-Method-Override`.
pub async fn final_upload(
    headers: HeaderMap,
    v: Result<TusResumable, Tus>,
    auth: Result<Authed, ApiError>,
    path: ApiPath<String>,
) -> Result<Response, Tus> {
    let Some(method) = Override::of(&headers)? else {
        return Ok(not_allowed());
    };
    let (v, auth) = (v?, auth?);
    match method {
        Override::Patch => Ok(concat::patch(v, auth).await.into_response()),
        Override::Delete => Ok(concat::delete(v, auth).await.into_response()),
        Override::Head => concat::head(v, auth, path).await,
    }
}
