//! `HEAD`: offset retrieval. It first ends an older request still writing the upload (newer
//! request wins), so the offset covers every byte that request received and the next append
//! from it is accepted.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{Interop, state_headers};
use crate::api_doc::{ResumableErrors, tags::RESUMABLE};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::routes::append;
use crate::state::AppState;

/// Where to resume: the offset, whether the upload is complete, its length and limits.
///
/// An upload completed lately answers `Upload-Complete: ?1` with its length as the offset, so
/// a client that missed the answer to its last request learns the upload is done.
#[utoipa::path(
    head, path = "/api/v1/resumable/{id}", tag = RESUMABLE, operation_id = "resumableHead",
    params(("id" = String, Path, description = "Upload id"), Interop),
    responses(
        (status = 204, description = "The upload", headers(
            ("Upload-Offset" = u64, description = "Bytes held: resume here"),
            ("Upload-Complete" = String, description = "`?1` once completed, else `?0`"),
            ("Upload-Length" = u64, description = "The length, once known"),
            ("Upload-Limit" = String, description = "`max-size`, `max-append-size` (when capped), `max-age`"),
            ("Cache-Control" = String, description = "`no-store`"),
        )),
        ResumableErrors,
    ),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn head(
    State(state): State<AppState>,
    _: Interop,
    mut auth: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let (info, complete) = append::latest(&mut auth.session, &id).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    state_headers(resp.headers_mut(), &state, &info, complete);
    Ok(resp)
}
