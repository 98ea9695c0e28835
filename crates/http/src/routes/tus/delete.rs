//! `DELETE` (termination): the upload's bytes are deleted and its quota released.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::error::Tus;
use super::version::TusResumable;
use crate::api_doc::{Errors, tags::TUS};
use crate::auth::Authed;
use crate::extract::ApiPath;

/// Terminate an upload.
#[utoipa::path(
    delete, path = "/api/v1/tus/{id}", tag = TUS, operation_id = "tusDelete",
    params(
        ("id" = String, Path, description = "Upload id"),
        ("Tus-Resumable" = String, Header, pattern = r"^1\.0\.0$", description = "`1.0.0`"),
    ),
    responses(
        (status = 204, description = "Terminated"),
        (status = 412, description = "`Tus-Resumable` is not 1.0.0 (`tus_version_unsupported`)", body = crate::error::Problem, content_type = "application/problem+json"),
        Errors,
    ),
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
