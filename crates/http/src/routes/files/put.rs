//! `PUT /api/v1/files/{path}`: a whole file in one request, or (with `Upload-Complete`) the
//! IETF draft's resumable upload created by a `PUT`.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use ferry_core::Error;
use http::header;

use super::content_length;
use crate::api_doc::{Binary, PutFileErrors, tags::FILES};
use crate::auth::Authed;
use crate::body::{self, BodyProbe};
use crate::error::{ApiError, HttpError};
use crate::extract::{ApiPath, ApiQuery};
use crate::headers::parse_content_md5;
use crate::routes::body_checks::whole_body_checks;
use crate::routes::parents::ParentsQuery;
use crate::routes::preconditions;
use crate::routes::tus::target::Target;
use crate::routes::{entry_response, file_location, header_text, home_path, resumable};
use crate::state::AppState;

/// Upload a whole file in one request (`curl -T FILE URL`).
///
/// The body must have a `Content-Length` (the size is reserved against the quota first);
/// without one the answer is `411`.
/// Streamed to disk, hashed while received and committed atomically: a failed or cut upload
/// leaves nothing. With `Content-MD5`, or `md5` in `Repr-Digest` or `Content-Digest`, the data
/// is verified first (`422 checksum_mismatch` otherwise); `sha-256` (or `crc32c`) in either
/// digest field is checked over the body before the commit (`400 chunk_checksum_mismatch`). A
/// digest field naming no algorithm checked here is refused
/// (`400 checksum_algorithm_unsupported`). `If-None-Match: *` refuses to replace a file
/// (`412`); `If-Match: ETAG` (or `If-Unmodified-Since`) replaces only the version the client
/// read, checked before the body is read (`412` otherwise).
/// With `Upload-Complete` (`?1`: this is the whole file, `?0`: more follows) the PUT creates a
/// resumable upload instead, as `POST /api/v1/resumable/?path=PATH` does: the answer's
/// `Location` is the upload resource to resume or continue at. Missing parent folders are
/// created (as `mkdir -p`) unless `parents=false`.
#[utoipa::path(
    put, path = "/api/v1/files/{path}", operation_id = "put_file", tag = FILES,
    params(
        ("path" = String, Path, min_length = 1, pattern = r"^[^\u0000-\u001f\u007f-\u009f\\]*$", description = "Target file path inside the home"),
        ParentsQuery,
        ("Content-MD5" = Option<String>, Header, nullable = false, pattern = r"^[A-Za-z0-9+/]{22}==$", description = "Expected MD5 of the whole file, base64 (16 bytes)"),
        ("Repr-Digest" = Option<String>, Header, nullable = false, description = "Expected digests of the file (RFC 9530): `md5=:BASE64:`, `sha-256=:BASE64:`"),
        ("Content-Digest" = Option<String>, Header, nullable = false, description = "Digests of the body, here the whole file (RFC 9530): `sha-256`, `md5`, `crc32c`"),
        ("If-None-Match" = Option<String>, Header, nullable = false, description = "`*`: never replace an existing file"),
        ("If-Match" = Option<String>, Header, nullable = false, description = "Replace only the file whose ETag is listed (`412` otherwise, also when there is no file)"),
        ("If-Unmodified-Since" = Option<String>, Header, nullable = false, description = "HTTP-date: replace only a file not modified since (ignored with `If-Match`)"),
        ("Upload-Complete" = Option<String>, Header, nullable = false, pattern = r"^\?[01]$", description = "Makes the PUT a resumable upload (IETF draft): `?1` the body is the whole file, `?0` more follows at `Location`"),
    ),
    request_body(content = Binary, content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Created: the file; with `Upload-Complete: ?0` the resumable upload's state instead", body = crate::api_doc::Created, headers(
            ("Location" = String, description = "URL of the file"),
            ("ETag" = String, description = "The MD5 in quotes"),
        )),
        (status = 200, description = "Replaced an existing file", body = ferry_core::model::Entry),
        (status = 411, description = "Content-Length missing", content_type = "application/problem+json", body = crate::error::Problem),
        (status = 412, description = "If-None-Match: * and the file exists, or If-Match / If-Unmodified-Since does not hold", content_type = "application/problem+json", body = crate::error::Problem),
        PutFileErrors,
    ),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn put(
    State(state): State<AppState>,
    mut auth: Authed,
    ApiPath(path): ApiPath<String>,
    ApiQuery(q): ApiQuery<ParentsQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let path = home_path(&path);
    let keep = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == b"*");
    // A malformed request is told so before its preconditions are looked at (RFC 9110
    // §13.2.1: preconditions are evaluated for a request that is otherwise acceptable).
    if let Some(complete) = resumable::bool_field(&headers, "upload-complete")? {
        // The IETF draft's upgrade: the same PUT, made resumable.
        let md5 = match header_text(&headers, "content-md5")? {
            Some(v) if complete => Some(hex::encode(parse_content_md5(v)?)),
            _ => None,
        };
        preconditions::check_write(&auth.session, &path, &headers).await?;
        let target = Target {
            path,
            md5,
            overwrite: !keep,
        };
        return resumable::create::begin(&state, auth.session, target, &headers, body).await;
    }
    let size = content_length(&headers)?.ok_or(HttpError::LengthRequired)?;
    let checks = whole_body_checks(&headers)?;
    preconditions::check_write(&auth.session, &path, &headers).await?;
    let probe = BodyProbe::default();
    let reader = body::reader(body, state.limits.body_idle_timeout, probe.clone());
    let result = auth
        .session
        .put_file_checked(&path, size, reader, checks, q.options(!keep))
        .await;
    let put = match result {
        Ok(put) => put,
        Err(Error::AlreadyExists(p)) if keep => {
            return Err(HttpError::PreconditionFailed(format!("{p} exists")).into());
        }
        Err(e) => {
            probe.log_disconnect(Some(0));
            return Err(probe.explain(state.limits.body_idle_timeout, e));
        }
    };
    let status = match put.replaced {
        true => StatusCode::OK,
        false => StatusCode::CREATED,
    };
    let entry = put.entry;
    let mut resp = entry_response(status, &entry);
    resp.headers_mut()
        .insert(header::LOCATION, file_location(&entry.path.to_string()));
    Ok(resp)
}
