//! `DELETE`: cancellation. An older request still writing the upload is ended first (newer
//! request wins); the bytes are deleted and the quota reservation released.

use axum::http::StatusCode;

use super::Interop;
use crate::api_doc::{ResumableErrors, tags::RESUMABLE};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::extract::ApiPath;

/// Cancel an upload.
#[utoipa::path(
    delete, path = "/api/v1/resumable/{id}", tag = RESUMABLE, operation_id = "resumableCancel",
    params(("id" = String, Path, description = "Upload id"), Interop),
    responses((status = 204, description = "Cancelled"), ResumableErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn delete(
    _: Interop,
    mut auth: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    auth.session.upload_cancel(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
