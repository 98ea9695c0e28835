//! Resumable uploads over HTTP, driven by `Content-Range` (the shape curl scripts and generated
//! clients use). The same upload ids, offsets, one-writer rule and running MD5 as the TCP door:
//! this file only translates. One file of ~360 lines, most of it the utoipa declarations: the
//! five routes of one resource read as one protocol, with the exchange below.
//!
//! ```text
//! POST /api/v1/uploads {path,size,md5?}      -> 201 Location: /api/v1/uploads/ID
//! PUT  /api/v1/uploads/ID                     Content-Range: bytes 0-8388607/TOTAL
//!                                             -> 308 Range: bytes=0-8388607   (more to come)
//! PUT  /api/v1/uploads/ID                     Content-Range: bytes */TOTAL (empty body)
//!                                             -> 308 Range: bytes=0-N         (where to resume)
//! PUT  /api/v1/uploads/ID   (last chunk)      -> 201 the committed file, MD5-verified
//! ```

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use ferry_core::md5hex::Md5Digest;
use ferry_core::model::{Entry, UploadInfo};
use ferry_core::{AppendOptions, Commit, Session, UploadState};
use http::header;
use serde::Deserialize;
use tokio::io::AsyncReadExt;
use utoipa::ToSchema;

use crate::api_doc::{
    AccountReadErrors, Binary, CancelUploadErrors, ChunkErrors, CreateUploadErrors,
    UploadReadErrors, tags::UPLOADS,
};
use crate::auth::Authed;
use crate::body::{self, BodyProbe};
use crate::error::{ApiError, HttpError};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::headers::{
    ChunkDigestValue, ContentRange, format_held_range, parse_content_md5, parse_content_range,
    parse_digest_field, pick_chunk_digest,
};
use crate::routes::files::content_length;
use crate::routes::parents::ParentsQuery;
use crate::routes::{append_limit, entry_response, file_location, header_text, whole_md5};
use crate::state::AppState;

/// A new resumable upload.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUpload {
    /// Target file path inside the home.
    #[schema(
        example = "/videos/holiday.mp4",
        min_length = 1,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\\]*$"
    )]
    pub path: String,
    /// The file's size in bytes; reserved against the quota now. At most the server's
    /// `--max-upload-size` (default 4 TiB, the maximum stated here); larger is refused with
    /// `413 upload_too_large` before anything is reserved.
    #[serde(deserialize_with = "crate::extract::whole_number")]
    #[schema(maximum = 4398046511104_f64)]
    pub size: u64,
    /// Expected MD5 (hex). Without it, the last chunk may carry `Repr-Digest: md5=:…:`;
    /// without either the file is committed with the MD5 computed while receiving.
    #[schema(
        example = "9e107d9d372bb6826bd81d3542a419d6",
        pattern = r"^[0-9a-fA-F]{32}$"
    )]
    pub md5: Option<String>,
    /// Replace an existing file at `path` when committing.
    #[serde(default)]
    pub overwrite: bool,
}

fn upload_url(id: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("/api/v1/uploads/{id}")).unwrap_or(HeaderValue::from_static("/"))
}

/// `Upload-Offset` and `Upload-Length` (once the length is known) headers plus the JSON state.
fn info_response(status: StatusCode, info: &UploadInfo) -> Response {
    let mut resp = (status, Json(info)).into_response();
    let h = resp.headers_mut();
    h.insert("upload-offset", HeaderValue::from(info.offset));
    if !info.length_deferred {
        h.insert("upload-length", HeaderValue::from(info.size));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(range) = format_held_range(info.offset)
        && let Ok(v) = HeaderValue::from_str(&range)
    {
        h.insert(header::RANGE, v);
    }
    resp
}

/// Start a resumable upload; quota is reserved for its whole size. Missing parent folders of
/// `path` are created (as `mkdir -p`) unless `parents=false`.
#[utoipa::path(
    post, path = "/api/v1/uploads", operation_id = "create_upload", tag = UPLOADS,
    params(ParentsQuery),
    request_body = CreateUpload,
    responses(
        (status = 201, description = "Created; send chunks to `Location`", body = UploadInfo, headers(
            ("Location" = String, description = "The upload resource"),
            ("Upload-Offset" = u64, description = "Bytes held (0)"),
        )),
        CreateUploadErrors,
    ),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn create(
    mut auth: Authed,
    ApiQuery(q): ApiQuery<ParentsQuery>,
    ApiJson(req): ApiJson<CreateUpload>,
) -> Result<Response, ApiError> {
    let options = q.options(req.overwrite);
    let info = auth
        .session
        .upload_create_with(&req.path, req.size, req.md5.as_deref(), options)
        .await?;
    let mut resp = info_response(StatusCode::CREATED, &info);
    resp.headers_mut()
        .insert(header::LOCATION, upload_url(&info.id.to_string()));
    Ok(resp)
}

/// This user's unfinished uploads, with the offset to resume each from.
#[utoipa::path(
    get, path = "/api/v1/uploads", operation_id = "list_uploads", tag = UPLOADS,
    responses((status = 200, description = "Unfinished uploads", body = Vec<UploadInfo>), AccountReadErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn list(auth: Authed) -> Result<Json<Vec<UploadInfo>>, ApiError> {
    Ok(Json(auth.session.upload_list().await?))
}

/// One upload's state: where to resume (`offset`, also in `Upload-Offset`).
#[utoipa::path(
    get, path = "/api/v1/uploads/{id}", operation_id = "get_upload", tag = UPLOADS,
    params(("id" = String, Path, description = "Upload id")),
    responses(
        (status = 200, description = "The upload", body = UploadInfo, headers(
            ("Upload-Offset" = u64, description = "Bytes held: resume here"),
            ("Upload-Length" = u64, description = "Declared size"),
        )),
        UploadReadErrors,
    ),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn status(auth: Authed, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    let info = auth.session.upload_status(&id).await?;
    Ok(info_response(StatusCode::OK, &info))
}

/// Where to resume, as headers only.
#[utoipa::path(
    head, path = "/api/v1/uploads/{id}", operation_id = "head_upload", tag = UPLOADS,
    params(("id" = String, Path, description = "Upload id")),
    responses(
        (status = 200, description = "The upload exists", headers(
            ("Upload-Offset" = u64, description = "Bytes held: resume here"),
            ("Upload-Length" = u64, description = "Declared size"),
        )),
        UploadReadErrors,
    ),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn offset(mut auth: Authed, ApiPath(id): ApiPath<String>) -> Result<Response, ApiError> {
    // Asked to resume: an older request still writing the upload is ended first (newer
    // request wins), so the offset covers what it received.
    let info = auth.session.upload_status_latest(&id).await?;
    Ok(info_response(StatusCode::OK, &info))
}

/// Abandon an upload: its bytes are deleted and its quota reservation released.
#[utoipa::path(
    delete, path = "/api/v1/uploads/{id}", operation_id = "cancel_upload", tag = UPLOADS,
    params(("id" = String, Path, description = "Upload id")),
    responses((status = 204, description = "Cancelled"), CancelUploadErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn cancel(
    mut auth: Authed,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    auth.session.upload_cancel(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a chunk, or ask where to resume.
///
/// `Content-Range: bytes FIRST-LAST/TOTAL` appends the body at FIRST, which must equal the
/// bytes held (else `409 offset_mismatch` with `offset`). `Content-Range: bytes */TOTAL` with
/// an empty body only asks — or, when the server holds every byte, commits. While incomplete:
/// `308` with `Range: bytes=0-N` (no `Range` when nothing is held). After the last byte, the
/// MD5 is checked and the file committed: `201`.
/// A `Content-Digest` (sha-256, md5 or crc32c) checks the chunk itself: on mismatch nothing of
/// it is kept. A body longer than its range: `413`, the in-range bytes kept.
#[utoipa::path(
    put, path = "/api/v1/uploads/{id}", operation_id = "put_upload_chunk", tag = UPLOADS,
    params(
        ("id" = String, Path, description = "Upload id"),
        ("Content-Range" = String, Header, pattern = r"^bytes ([0-9]{1,19}-[0-9]{1,19}|\*)/[0-9]{1,19}$", description = "`bytes FIRST-LAST/TOTAL`, or `bytes */TOTAL` to ask"),
        ("Content-Digest" = Option<String>, Header, nullable = false, pattern = r"^(sha-256=:[A-Za-z0-9+/]{43}=:|md5=:[A-Za-z0-9+/]{22}==:|crc32c=:[A-Za-z0-9+/]{6}==:)$", description = "Digest of this chunk: `sha-256=:…:`, `md5=:…:` or `crc32c=:…:` (RFC 9530)"),
        ("Content-MD5" = Option<String>, Header, nullable = false, pattern = r"^[A-Za-z0-9+/]{22}==$", description = "MD5 of this chunk, base64 (legacy form of `Content-Digest: md5`)"),
        ("Repr-Digest" = Option<String>, Header, nullable = false, pattern = r"^md5=:[A-Za-z0-9+/]{22}==:$", description = "On the last chunk: the whole file's `md5=:…:`"),
    ),
    request_body(content = Binary, content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Last byte received, MD5 verified, file committed", body = ferry_core::model::Entry, headers(
            ("Location" = String, description = "URL of the file"),
        )),
        (status = 308, description = "Incomplete: the server holds `Range`", body = UploadInfo, headers(
            ("Range" = String, description = "`bytes=0-N`: what the server holds (absent when nothing)"),
            ("Upload-Offset" = u64, description = "Bytes held"),
        )),
        ChunkErrors,
    ),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn chunk(
    State(state): State<AppState>,
    mut auth: Authed,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let range = headers
        .get(header::CONTENT_RANGE)
        .ok_or_else(|| HttpError::BadHeader("Content-Range is required".into()))?
        .to_str()
        .map_err(|_| HttpError::BadHeader("Content-Range is not ASCII".into()))?;
    let range = parse_content_range(range)?;
    // Ends an older request still writing this upload first (newer request wins).
    let info = auth.session.upload_status_latest(&id).await?;
    if info.length_deferred || range.total() != info.size {
        // The total states the length of an upload created without one; any other total
        // that differs is `size_mismatch`.
        auth.session.upload_set_length(&id, range.total()).await?;
    }
    let check = chunk_digest(&headers)?;
    let md5 = whole_md5(&headers, false)?
        .as_deref()
        .map(Md5Digest::parse)
        .transpose()?;
    let session = &mut auth.session;
    let ContentRange::Bytes { first, last, .. } = range else {
        // `bytes */TOTAL` asks where to resume; on an upload that holds every byte it also
        // commits, so an upload stranded complete (an over-long last chunk, a target name
        // that was taken and freed again) can always be finished.
        return finish_if_complete(session, &id, md5).await;
    };
    let len = last - first + 1;
    append_limit::check_declared(&state.limits, Some(len))?;
    let declared = content_length(&headers)?;
    if let Some(cl) = declared
        && cl < len
    {
        return Err(HttpError::RangeLength {
            expected: len,
            got: cl,
        }
        .into());
    }
    let probe = BodyProbe::default();
    let reader = body::reader(body, state.limits.body_idle_timeout, probe.clone()).take(len);
    // With a `Content-Length` equal to the range no byte can follow it, so the last chunk
    // commits in the same append, which the engine owns and runs in a task of its own: a
    // client that leaves right after its last byte still gets its file. A body of unknown
    // length is first checked for bytes past its range, then committed by a second append.
    let exact = declared == Some(len);
    let opts = AppendOptions {
        offset: Some(first),
        chunk: check,
        commit: match exact {
            true => Commit::IfComplete { md5 },
            false => Commit::Later,
        },
        ..AppendOptions::default()
    };
    let (offset, reader) = match session.append_owned(&id, reader, opts).await {
        Ok((
            UploadState {
                entry: Some(entry), ..
            },
            _,
        )) => return Ok(created(&entry)),
        Ok((appended, reader)) => (appended.info.offset, reader),
        Err(e) => {
            if probe.broken() {
                let kept = session.upload_status(&id).await.ok().map(|i| i.offset);
                probe.log_disconnect(kept);
            }
            return Err(probe.explain(state.limits.body_idle_timeout, e));
        }
    };
    if offset < first + len {
        return Err(HttpError::RangeLength {
            expected: len,
            got: offset - first,
        }
        .into());
    }
    if !exact && (declared.is_some_and(|cl| cl > len) || has_more(reader.into_inner()).await) {
        return Err(HttpError::BodyExceedsRange { kept: len, offset }.into());
    }
    finish_if_complete(session, &id, md5).await
}

/// `201` with the committed file when the upload holds every byte (committing it, verified
/// against `md5` or the MD5 given at create, else with the computed one); `308` with where
/// to resume otherwise.
async fn finish_if_complete(
    session: &mut Session,
    id: &str,
    md5: Option<Md5Digest>,
) -> Result<Response, ApiError> {
    let opts = AppendOptions {
        commit: Commit::IfComplete { md5 },
        ..AppendOptions::default()
    };
    let (state, _) = session.append_owned(id, tokio::io::empty(), opts).await?;
    match state.entry {
        Some(entry) => Ok(created(&entry)),
        None => Ok(info_response(StatusCode::PERMANENT_REDIRECT, &state.info)),
    }
}

/// `201` with the committed file.
fn created(entry: &Entry) -> Response {
    let mut resp = entry_response(StatusCode::CREATED, entry);
    resp.headers_mut()
        .insert(header::LOCATION, file_location(&entry.path.to_string()));
    resp
}

/// Whether the body still has data after its range was read.
async fn has_more<S>(mut reader: tokio_util::io::StreamReader<S, bytes::Bytes>) -> bool
where
    S: futures::Stream<Item = std::io::Result<bytes::Bytes>> + Unpin,
{
    let mut byte = [0u8; 1];
    matches!(reader.read(&mut byte).await, Ok(n) if n > 0)
}

/// The chunk's own digest: `Content-Digest` (RFC 9530) or legacy `Content-MD5`.
fn chunk_digest(headers: &HeaderMap) -> Result<Option<ferry_core::ChunkDigest>, ApiError> {
    let text = |name: &str| header_text(headers, name);
    if let Some(v) = text("content-digest")? {
        return match pick_chunk_digest(&parse_digest_field(v)?)? {
            Some(d) => Ok(Some(to_core_digest(d))),
            None => Err(HttpError::DigestAlgorithm(
                "Content-Digest names no algorithm checked here (sha-256, md5, crc32c are)".into(),
            )
            .into()),
        };
    }
    if let Some(v) = text("content-md5")? {
        return Ok(Some(ferry_core::ChunkDigest::Md5(parse_content_md5(v)?)));
    }
    Ok(None)
}

fn to_core_digest(d: ChunkDigestValue) -> ferry_core::ChunkDigest {
    match d {
        ChunkDigestValue::Crc32c(c) => ferry_core::ChunkDigest::Crc32c(c),
        ChunkDigestValue::Md5(m) => ferry_core::ChunkDigest::Md5(m),
        ChunkDigestValue::Sha256(s) => ferry_core::ChunkDigest::Sha256(s),
    }
}
