//! `PATCH`: append at `Upload-Offset`, and the append half of a creation that carries bytes.
//!
//! A request first ends an older request still writing the upload (newer request wins) and
//! checks its offset, then states the length when it knows it (`Upload-Length`, or
//! `Upload-Complete: ?1` with a `Content-Length`), then streams its body through the engine's
//! one append call. `?0` never commits, even when every byte is held: the draft lets only the
//! client say the upload is complete. `?1` commits once the body is in, MD5-verified (and
//! SHA-256-verified when one was announced), in a task of its own (the engine's): once every
//! byte arrived the upload is complete, whether or not the client waits for the answer.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ferry_core::md5hex::Md5Digest;
use ferry_core::model::UploadInfo;
use ferry_core::{AppendOptions, ChunkDigest, Commit, Error, Session, UploadState};

use super::{Interop, fields, int_field, state_headers, upload_complete};
use crate::api_doc::{Binary, ResumableErrors, tags::RESUMABLE};
use crate::auth::Authed;
use crate::error::{ApiError, HttpError};
use crate::extract::ApiPath;
use crate::headers::{ChunkDigestValue, parse_digest_field, pick_chunk_digest};
use crate::routes::files::content_length;
use crate::routes::{append, append_limit, entry_response, file_location, header_text};
use crate::state::AppState;

/// What an append left to do.
#[derive(Debug)]
pub enum Appended {
    /// The upload goes on (`Upload-Complete: ?0`).
    Incomplete(UploadInfo),
    /// Every byte is in and the client said so: commit, checked against this MD5 if given.
    Complete(Option<Md5Digest>),
    /// The append committed the upload.
    Committed(UploadState),
}

/// Append bytes at `Upload-Offset`; `Upload-Complete: ?1` ends the upload.
///
/// The offset must equal the bytes held (`409`, problem type
/// `…#mismatching-upload-offset` with `expected-offset` and `provided-offset`). A length
/// stated now (`Upload-Length`, or `?1` with `Content-Length`) that differs from the known one
/// is `400 …#inconsistent-upload-length`; so is a `?1` request after which the bytes held are
/// not the length. `Content-Digest` (sha-256, md5, crc32c) checks this request's bytes: on
/// mismatch none of them is kept. A body cut short keeps every byte that arrived. Writing to
/// an upload completed lately is `400 …#completed-upload`.
#[utoipa::path(
    patch, path = "/api/v1/resumable/{id}", tag = RESUMABLE, operation_id = "resumableAppend",
    params(
        ("id" = String, Path, description = "Upload id"),
        Interop,
        ("Upload-Offset" = u64, Header, description = "Where these bytes go: the bytes held (sf-integer)"),
        ("Upload-Complete" = String, Header, pattern = r"^\?[01]$", description = "`?1` when this request ends the upload, else `?0`"),
        ("Upload-Length" = Option<u64>, Header, nullable = false, description = "The whole file's length, if not stated before"),
        ("Content-Digest" = Option<String>, Header, nullable = false, description = "Digest of this request's bytes: `sha-256=:…:`, `md5=:…:` or `crc32c=:…:`"),
        ("Repr-Digest" = Option<String>, Header, nullable = false, description = "With `?1`: the whole file's `md5=:…:`"),
    ),
    request_body(content = Binary, content_type = "application/partial-upload"),
    responses(
        (status = 204, description = "Appended; the upload goes on (`Upload-Complete: ?0`)", headers(
            ("Upload-Offset" = u64, description = "Bytes held now"),
            ("Upload-Complete" = String, description = "`?0`"),
            ("Upload-Limit" = String, description = "`max-size`, `max-append-size` (when capped), `max-age`"),
        )),
        (status = 201, description = "The last bytes: verified and committed (`Upload-Complete: ?1`)", body = ferry_core::model::Entry, headers(
            ("Content-Location" = String, description = "URL of the file"),
            ("Upload-Complete" = String, description = "`?1`"),
            ("Upload-Offset" = u64, description = "The length"),
        )),
        (status = 415, description = "Not `application/partial-upload` (interop 6 on; `unsupported_media_type`)", body = crate::error::Problem, content_type = "application/problem+json"),
        ResumableErrors,
    ),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn patch(
    State(state): State<AppState>,
    interop: Interop,
    mut auth: Authed,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let partial = header_text(&headers, "content-type")?.is_some_and(fields::is_partial_upload);
    if interop.0 >= 6 && !partial {
        return Err(HttpError::MediaType(format!(
            "a PATCH body must be Content-Type: {}",
            fields::PARTIAL_UPLOAD
        ))
        .into());
    }
    let offset = int_field(&headers, "upload-offset")?
        .ok_or_else(|| HttpError::BadHeader("Upload-Offset is required".into()))?;
    let complete = upload_complete(&headers)?;
    if repr_digest(&headers)?.sha256.is_some() {
        return Err(HttpError::BadHeader(
            "Repr-Digest sha-256 is verified when announced at creation; send it there".into(),
        )
        .into());
    }
    let session = &mut auth.session;
    let appended = append(&state, session, &id, offset, complete, &headers, body).await;
    let appended = completed_or(session, &id, appended)?;
    let (mut resp, info) = respond(auth.session, &id, appended).await?;
    state_headers(resp.headers_mut(), &state, &info, complete);
    Ok(resp)
}

/// `upload_completed` for an upload committed lately rather than `upload_not_found`.
pub fn completed_or<T>(session: &Session, id: &str, r: Result<T, ApiError>) -> Result<T, ApiError> {
    match r {
        Err(ApiError::Core(e)) => Ok(session.completed_or(Err(e), id)?),
        other => other,
    }
}

/// Appends the request's body at `offset` to upload `id` (see the module docs).
pub async fn append(
    state: &AppState,
    session: &mut Session,
    id: &str,
    offset: u64,
    complete: bool,
    headers: &HeaderMap,
    body: Body,
) -> Result<Appended, ApiError> {
    let declared = content_length(headers)?;
    append_limit::check_declared(&state.limits, declared)?;
    let chunk = content_digest(headers)?;
    let md5 = repr_digest(headers)?.md5;
    let mut info = session.upload_status_latest(id).await?;
    if info.offset != offset {
        return Err(Error::OffsetMismatch {
            expected: info.offset,
            got: offset,
        }
        .into());
    }
    if let Some(len) = int_field(headers, "upload-length")? {
        info = session.upload_set_length(id, len).await?;
    }
    if complete && let Some(len) = declared {
        info = session.upload_set_length(id, offset + len).await?;
    }
    // `?1` with the length known commits in this append, which the engine owns and runs in a
    // task of its own: a client that leaves right after its last byte still gets its file.
    // With the length still deferred it is stated first, then committed by a second append.
    let opts = AppendOptions {
        offset: Some(offset),
        len: declared,
        chunk,
        commit: match complete && !info.length_deferred {
            true => Commit::IfComplete { md5 },
            false => Commit::Later,
        },
        block: None,
    };
    let appended = append::body(state, session, id, opts, body).await?;
    if !complete {
        return Ok(Appended::Incomplete(appended.info));
    }
    if appended.entry.is_some() {
        return Ok(Appended::Committed(appended));
    }
    let info = match appended.info.length_deferred {
        true => session.upload_set_length(id, appended.info.offset).await?,
        false => appended.info,
    };
    if info.offset != info.size {
        return Err(Error::LengthMismatch {
            size: info.size,
            got: info.offset,
        }
        .into());
    }
    Ok(Appended::Complete(md5))
}

/// The answer to an append: `204` while the upload goes on, `201` with the committed file
/// after the last bytes. Returns the state the answer's headers describe too.
pub async fn respond(
    session: Session,
    id: &str,
    appended: Appended,
) -> Result<(Response, UploadInfo), ApiError> {
    let state = match appended {
        Appended::Incomplete(info) => return Ok((StatusCode::NO_CONTENT.into_response(), info)),
        Appended::Complete(md5) => finish(session, id.to_string(), md5).await?,
        Appended::Committed(state) => state,
    };
    let entry = state
        .entry
        .ok_or_else(|| Error::internal("a complete upload was not committed"))?;
    let mut resp = entry_response(StatusCode::CREATED, &entry);
    resp.headers_mut().insert(
        header::CONTENT_LOCATION,
        file_location(&entry.path.to_string()),
    );
    Ok((resp, state.info))
}

/// Commits upload `id`; the engine runs a commit in a task of its own, so a client leaving
/// now does not stop it.
async fn finish(
    mut session: Session,
    id: String,
    md5: Option<Md5Digest>,
) -> Result<UploadState, ApiError> {
    let opts = AppendOptions {
        commit: Commit::IfComplete { md5 },
        ..AppendOptions::default()
    };
    Ok(session.append_owned(&id, tokio::io::empty(), opts).await?.0)
}

/// This request's own digest (`Content-Digest`), if it carries one Ferry checks.
fn content_digest(headers: &HeaderMap) -> Result<Option<ChunkDigest>, ApiError> {
    let Some(v) = header_text(headers, "content-digest")? else {
        return Ok(None);
    };
    match pick_chunk_digest(&parse_digest_field(v)?)? {
        Some(ChunkDigestValue::Sha256(d)) => Ok(Some(ChunkDigest::Sha256(d))),
        Some(ChunkDigestValue::Md5(d)) => Ok(Some(ChunkDigest::Md5(d))),
        Some(ChunkDigestValue::Crc32c(c)) => Ok(Some(ChunkDigest::Crc32c(c))),
        None => Err(HttpError::DigestAlgorithm(
            "Content-Digest names no algorithm checked here (sha-256, md5, crc32c are)".into(),
        )
        .into()),
    }
}

/// The whole file's digests a request announces (`Repr-Digest`).
#[derive(Debug, Default)]
pub struct Repr {
    /// MD5.
    pub md5: Option<Md5Digest>,
    /// SHA-256.
    pub sha256: Option<[u8; 32]>,
}

/// `Repr-Digest`: md5 and sha-256 are verified; a field naming neither is refused.
pub fn repr_digest(headers: &HeaderMap) -> Result<Repr, ApiError> {
    let Some(v) = header_text(headers, "repr-digest")? else {
        return Ok(Repr::default());
    };
    let fields = parse_digest_field(v)?;
    let known = |alg: &str| {
        fields
            .iter()
            .find(|(a, _)| a == alg)
            .map(|(_, b)| b.clone())
    };
    let wrong = |alg: &str| HttpError::BadHeader(format!("Repr-Digest {alg} has the wrong length"));
    let md5 = known("md5")
        .map(|b| <[u8; 16]>::try_from(b).map_err(|_| wrong("md5")))
        .transpose()?
        .map(|b| Md5Digest::parse(&hex::encode(b)))
        .transpose()?;
    let sha256 = known("sha-256")
        .map(|b| <[u8; 32]>::try_from(b).map_err(|_| wrong("sha-256")))
        .transpose()?;
    if md5.is_none() && sha256.is_none() {
        return Err(HttpError::DigestAlgorithm(
            "Repr-Digest names no algorithm verified here (sha-256 and md5 are)".into(),
        )
        .into());
    }
    Ok(Repr { md5, sha256 })
}

/// `Location` of an upload, for answers that must name it.
pub fn location(id: &str) -> (header::HeaderName, HeaderValue) {
    (header::LOCATION, super::upload_url(id))
}
