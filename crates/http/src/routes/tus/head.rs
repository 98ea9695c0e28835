//! `HEAD`: where to resume.
//!
//! To a tus client `Upload-Offset == Upload-Length` means "done", so a `HEAD` never says so of
//! an upload that holds every byte but is not committed (its commit was refused: the name was
//! taken, the quota lowered). It commits the upload then and answers as for any committed
//! upload, or answers the commit's error (`409 name_taken`, `413 quota_exceeded`, `460
//! checksum_mismatch`…), so the client stops instead of reporting success with no file. A part
//! of a concatenation and an upload whose length is still deferred are never committed here.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ferry_core::Error;

use super::error::Tus;
use super::version::TusResumable;
use super::{is_partial, state_headers, target};
use crate::api_doc::{TusErrors, tags::TUS};
use crate::auth::Authed;
use crate::extract::ApiPath;
use crate::routes::append;

/// An upload's offset, length, metadata and expiry.
///
/// An upload that holds every byte but is not committed (its commit was refused earlier) is
/// committed now, so `Upload-Offset == Upload-Length` always means the file exists; if the
/// commit is refused again, its error is the answer (`409 already_exists`, `413
/// quota_exceeded`, `422 checksum_mismatch`…).
#[utoipa::path(
    head, path = "/api/v1/tus/{id}", tag = TUS, operation_id = "tusHead",
    params(("id" = String, Path, description = "Upload id"), TusResumable),
    responses(
        (status = 200, description = "The upload", headers(
            ("Upload-Offset" = u64, description = "Bytes held: resume here"),
            ("Upload-Length" = u64, description = "Declared size"),
            ("Upload-Defer-Length" = String, description = "`1` while the size is not known (no `Upload-Length` then)"),
            ("Upload-Metadata" = String, description = "`filename`, `folder` (and `md5`) of the target"),
            ("Upload-Expires" = String, description = "When an idle upload is discarded"),
            ("Upload-Concat" = String, description = "`partial` for a part of a concatenation"),
        )),
        TusErrors,
    ),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn head(
    _: TusResumable,
    mut auth: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, Tus> {
    // An upload committed lately answers with its whole length held.
    let session = &mut auth.session;
    let (mut info, _) = append::latest(session, &id).await?;
    let stranded = info.offset == info.size && !info.length_deferred && !is_partial(&info);
    if stranded && session.upload_completed(&id).is_none() {
        info = match session.upload_commit_held(&id).await {
            Err(Error::UploadCompleted(_)) => session.upload_completed(&id),
            other => Some(other?.info),
        }
        .ok_or_else(|| Error::internal("a committed upload has no state"))?;
    }
    let mut resp = StatusCode::OK.into_response();
    let h = resp.headers_mut();
    state_headers(h, &info);
    if is_partial(&info) {
        h.insert("upload-concat", HeaderValue::from_static("partial"));
    } else {
        let md5 = info.md5.map(|m| m.to_string());
        let echo = target::echo(&info.path.to_string(), md5.as_deref());
        if let Ok(v) = HeaderValue::from_str(&echo) {
            h.insert("upload-metadata", v);
        }
    }
    Ok(resp)
}
