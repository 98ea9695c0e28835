//! `DELETE` (termination): the upload's bytes are deleted and its quota released.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::error::Tus;
use super::version::TusResumable;
use crate::api_doc::{TusErrors, tags::TUS};
use crate::auth::Authed;
use crate::extract::ApiPath;

/// Terminate an upload.
#[utoipa::path(
    delete, path = "/api/v1/tus/{id}", tag = TUS, operation_id = "tusDelete",
    params(("id" = String, Path, description = "Upload id"), TusResumable),
    responses((status = 204, description = "Terminated"), TusErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn delete(
    _: TusResumable,
    mut auth: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, Tus> {
    auth.session.upload_cancel(&id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
