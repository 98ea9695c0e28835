//! `X-HTTP-Method-Override`: a `POST` to an upload carrying it is served as the named method,
//! for clients behind proxies that block `PATCH` and `DELETE`.
//!
//! Dispatched here rather than by rewriting the method in a layer: axum picks the handler by
//! method before a router layer runs, so the rewrite would come too late.

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::error::Tus;
use super::version::TusResumable;
use super::{concat, delete, head, patch, text};
use crate::auth::Authed;
use crate::error::{ApiError, HttpError};
use crate::extract::ApiPath;
use crate::state::AppState;

fn method(headers: &HeaderMap) -> Result<String, Tus> {
    Ok(text(headers, "x-http-method-override")?
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase())
}

/// `POST /api/v1/tus/ID` with `X-HTTP-Method-Override: PATCH|DELETE|HEAD`.
pub async fn upload(
    State(state): State<AppState>,
    v: TusResumable,
    auth: Authed,
    id: ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Tus> {
    match method(&headers)?.as_str() {
        "PATCH" => patch::patch(State(state), v, auth, id, headers, body).await,
        "DELETE" => delete::delete(v, auth, id).await,
        "HEAD" => head::head(v, auth, id).await,
        _ => Err(ApiError::from(HttpError::MethodNotAllowed).into()),
    }
}

/// `POST /api/v1/tus/final/PATH` with `X-HTTP-Method-Override`.
pub async fn final_upload(
    v: TusResumable,
    auth: Authed,
    path: ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, Tus> {
    match method(&headers)?.as_str() {
        "PATCH" => Ok(concat::patch(v, auth).await.into_response()),
        "DELETE" => Ok(concat::delete(v, auth).await.into_response()),
        "HEAD" => concat::head(v, auth, path).await,
        _ => Err(ApiError::from(HttpError::MethodNotAllowed).into()),
    }
}
