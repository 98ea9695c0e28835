//! `PATCH`: append the body at `Upload-Offset` through the engine's one append call. The
//! last byte commits the upload (MD5-verified when an MD5 was given, atomically, no-replace
//! unless asked); a part of a concatenation waits for its final upload instead.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ferry_core::{AppendOptions, Commit, Session, UploadState};

use super::error::{Tus, TusError};
use super::headers::parse_checksum;
use super::version::TusResumable;
use super::{is_partial, number, state_headers, text};
use crate::api_doc::{Binary, TusErrors, tags::TUS};
use crate::auth::Authed;
use crate::error::HttpError;
use crate::extract::ApiPath;
use crate::routes::files::content_length;
use crate::routes::{append, append_limit};
use crate::state::AppState;

/// The body type tus appends carry.
pub const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

/// Whether the request carries `Content-Type: application/offset+octet-stream`.
pub fn is_offset_stream(headers: &HeaderMap) -> Result<bool, HttpError> {
    Ok(text(headers, "content-type")?.is_some_and(|v| {
        v.split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case(OFFSET_OCTET_STREAM))
    }))
}

/// Appends `body` at `offset` to upload `id`, checked against `Upload-Checksum` (a mismatch
/// drops the whole chunk: `460`, the offset as before) and `Upload-Length` (which may not
/// change). Without a checksum, a body cut short keeps every byte that arrived.
pub async fn append_body(
    state: &AppState,
    session: &mut Session,
    id: &str,
    offset: u64,
    headers: &HeaderMap,
    body: Body,
) -> Result<UploadState, Tus> {
    let chunk = text(headers, "upload-checksum")?
        .map(parse_checksum)
        .transpose()?;
    let declared = content_length(headers)?;
    append_limit::check_declared(&state.limits, declared)?;
    // Ends an older request still writing this upload first (newer request wins).
    let mut info = session.upload_status_latest(id).await?;
    if let Some(len) = number(headers, "upload-length")? {
        // States the length of a deferred upload; any other that differs is `size_mismatch`.
        info = session.upload_set_length(id, len).await?;
    }
    let commit = match is_partial(&info) || info.length_deferred {
        true => Commit::Later,
        false => Commit::IfComplete { md5: None },
    };
    let opts = AppendOptions {
        offset: Some(offset),
        len: declared,
        chunk,
        commit,
        block: None,
    };
    // Owned by the engine: the last byte commits even if the client leaves right after it.
    Ok(append::body(state, session, id, opts, body).await?)
}

/// Append bytes at `Upload-Offset`.
///
/// The offset must equal the bytes held (`409 offset_mismatch`, with `Upload-Offset`). With
/// `Upload-Checksum` (sha1, sha256, md5 or crc32) a mismatching chunk is dropped whole: `460
/// chunk_checksum_mismatch`. After the last byte the file is committed (a part of a
/// concatenation is kept for its final upload). `Upload-Length` states the length of an
/// upload created with `Upload-Defer-Length` (any other length is `400 size_mismatch`). A PATCH
/// may be as long as the rest of the upload unless the server caps requests
/// (`--http-max-chunk`: `413 chunk_too_large` before the body is read). A newer request for
/// the upload ends this one (its bytes are kept).
#[utoipa::path(
    patch, path = "/api/v1/tus/{id}", tag = TUS, operation_id = "tusPatch",
    params(
        ("id" = String, Path, description = "Upload id"),
        TusResumable,
        ("Upload-Offset" = u64, Header, description = "Where these bytes go: the bytes held"),
        ("Upload-Checksum" = Option<String>, Header, nullable = false, description = "`sha1|sha256|md5|crc32 BASE64` of this request's bytes"),
    ),
    request_body(content = Binary, content_type = "application/offset+octet-stream"),
    responses(
        (status = 204, description = "Appended (and committed after the last byte)", headers(
            ("Upload-Offset" = u64, description = "Bytes held now"),
            ("Upload-Expires" = String, description = "When an idle upload is discarded"),
        )),
        (status = 415, description = "Not `application/offset+octet-stream` (`unsupported_media_type`)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 460, description = "The chunk does not match `Upload-Checksum` (`chunk_checksum_mismatch`); it was dropped", body = crate::error::Problem, content_type = "application/problem+json"),
        TusErrors,
    ),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn patch(
    State(state): State<AppState>,
    _: TusResumable,
    mut auth: Authed,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Tus> {
    if !is_offset_stream(&headers)? {
        return Err(TusError::ContentType.into());
    }
    let offset = number(&headers, "upload-offset")?
        .ok_or_else(|| HttpError::BadHeader("Upload-Offset is required".into()))?;
    let s = append_body(&state, &mut auth.session, &id, offset, &headers, body).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    state_headers(resp.headers_mut(), &s.info);
    Ok(resp)
}
