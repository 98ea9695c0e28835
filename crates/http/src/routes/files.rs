//! `/api/v1/files/{path}`: download (GET, HEAD, with Range), whole-body upload (PUT), delete.

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use ferry_core::Error;
use http::header;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api_doc::{Binary, DeleteErrors, DownloadErrors, PutFileErrors, tags::FILES};
use crate::auth::Authed;
use crate::body::{self, BodyProbe};
use crate::error::{ApiError, HttpError};
use crate::extract::{ApiPath, ApiQuery};
use crate::headers::parse_content_md5;
use crate::routes::body_checks::whole_body_checks;
use crate::routes::download::{self, Method};
use crate::routes::file_query::{FileQuery, FileRequest};
use crate::routes::parents::ParentsQuery;
use crate::routes::preconditions;
use crate::routes::preview;
use crate::routes::tus::target::Target;
use crate::routes::zip;
use crate::routes::{entry_response, file_location, header_text, home_path, resumable};
use crate::state::AppState;

/// Download a file. A single `Range` gives `206` with `Content-Range`; `If-Range` with a stale
/// ETag gives the whole file; `If-None-Match` with the current ETag gives `304`. The ETag is
/// the file's MD5, also sent as `Repr-Digest: md5=:…:`. Always an attachment, never rendered.
///
/// Besides Basic and bearer, the `ferry_download` cookie from `POST /api/v1/login
/// {"cookie": true}` works here (and on `HEAD`) when no `Authorization` header is sent, so a
/// plain link downloads and the browser can resume it; no other route accepts the cookie.
#[utoipa::path(
    get, path = "/api/v1/files/{path}", operation_id = "download_file", tag = FILES,
    params(
        ("path" = String, Path, min_length = 1, pattern = r"^[^\u0000-\u001f\u007f-\u009f\\]*$", description = "File path inside the home, e.g. `docs/a.pdf`"),
        ("Range" = Option<String>, Header, nullable = false, description = "One byte range, e.g. `bytes=100-` or `bytes=-500`"),
        ("If-Range" = Option<String>, Header, nullable = false, description = "Serve the range only if the ETag still matches"),
        ("If-None-Match" = Option<String>, Header, nullable = false, description = "`304` if the ETag matches"),
        ("If-Match" = Option<String>, Header, nullable = false, description = "`412` unless the ETag matches"),
        FileQuery,
    ),
    responses(
        (status = 200, description = "The whole file (with `zip=true`, the folder or the selection as a zip)", content_type = "application/octet-stream", body = Binary, headers(
            ("ETag" = String, description = "Strong validator: the MD5 in quotes"),
            ("Repr-Digest" = String, description = "RFC 9530: `md5=:BASE64:`"),
            ("Content-MD5" = String, description = "The MD5, base64 (legacy)"),
            ("Accept-Ranges" = String, description = "`bytes`"),
            ("Content-Length" = u64, description = "Bytes in the body"),
            ("Last-Modified" = String, description = "HTTP date"),
            ("Content-Disposition" = String, description = "`attachment` with the file name (`inline` for a view)"),
            ("Content-Security-Policy" = String, description = "`sandbox`"),
        )),
        (status = 206, description = "The requested range", content_type = "application/octet-stream", body = Binary, headers(
            ("Content-Range" = String, description = "`bytes FIRST-LAST/SIZE`"),
            ("ETag" = String, description = "Strong validator: the MD5 in quotes"),
            ("Repr-Digest" = String, description = "RFC 9530 digest of the whole file"),
        )),
        (status = 304, description = "Not modified (If-None-Match matched)"),
        (status = 416, description = "Range not satisfiable", content_type = "application/problem+json", body = crate::error::Problem, headers(
            ("Content-Range" = String, description = "`bytes */SIZE`"),
        )),
        DownloadErrors,
    ),
    security(("basic" = []), ("bearer" = []), ("download_cookie" = []))
)]
pub async fn download(
    auth: Authed,
    ApiPath(path): ApiPath<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let view = FileRequest::parse(query.as_deref())?;
    if view.zip {
        return zip_of(auth, &home_path(&path), &view.names, Method::Get).await;
    }
    let mut resp =
        download::respond(&auth.session, &home_path(&path), &headers, Method::Get).await?;
    preview::shape(resp.headers_mut(), file_name(&path), view.inline);
    Ok(resp)
}

/// File metadata as headers: like `GET` without the body.
#[utoipa::path(
    head, path = "/api/v1/files/{path}", operation_id = "head_file", tag = FILES,
    params(("path" = String, Path, min_length = 1, pattern = r"^[^\u0000-\u001f\u007f-\u009f\\]*$", description = "File path inside the home"), FileQuery),
    responses(
        (status = 200, description = "The file exists", headers(
            ("ETag" = String, description = "The MD5 in quotes"),
            ("Content-Length" = u64, description = "File size"),
            ("Repr-Digest" = String, description = "RFC 9530: `md5=:BASE64:`"),
        )),
        (status = 206, description = "A range would be served"),
        (status = 304, description = "Not modified"),
        (status = 416, description = "Range not satisfiable"),
        DownloadErrors,
    ),
    security(("basic" = []), ("bearer" = []), ("download_cookie" = []))
)]
pub async fn head(
    auth: Authed,
    ApiPath(path): ApiPath<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let view = FileRequest::parse(query.as_deref())?;
    if view.zip {
        return zip_of(auth, &home_path(&path), &view.names, Method::Head).await;
    }
    let mut resp =
        download::respond(&auth.session, &home_path(&path), &headers, Method::Head).await?;
    preview::shape(resp.headers_mut(), file_name(&path), view.inline);
    Ok(resp)
}

/// Download the home folder, or entries of it, as one zip: `zip=true` as on a folder's path
/// (without it the answer is `409 is_a_directory`, as for any folder).
#[utoipa::path(
    get, path = "/api/v1/files/", operation_id = "zip_home", tag = FILES,
    params(FileQuery),
    responses(
        (status = 200, description = "The home or the selection as a zip", content_type = "application/octet-stream", body = Binary, headers(
            ("Content-Disposition" = String, description = "`attachment` with the name `USER.zip`"),
        )),
        DownloadErrors,
    ),
    security(("basic" = []), ("bearer" = []), ("download_cookie" = []))
)]
pub async fn zip_home(auth: Authed, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let view = FileRequest::parse(query.as_deref())?;
    if !view.zip {
        return Err(Error::IsADirectory("/".into()).into());
    }
    zip_of(auth, "/", &view.names, Method::Get).await
}

/// The zip of the folder `dir` (or of its entries `names`): planned whole before the answer
/// starts, so a refusal (a missing name, too many entries) has its status; then streamed.
async fn zip_of(
    auth: Authed,
    dir: &str,
    names: &[String],
    method: Method,
) -> Result<Response, ApiError> {
    let plan = auth.session.zip_plan(dir, names).await?;
    let mut resp = match method {
        Method::Get => zip::respond(auth.session, plan.items, &plan.name),
        Method::Head => zip::head(&plan.name),
    };
    preview::shape(resp.headers_mut(), "", false);
    Ok(resp)
}

/// The last segment of a path: the name the type is guessed from.
fn file_name(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
}

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

/// Options of delete.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteQuery {
    /// Needed to delete a folder that is not empty, with everything in it.
    #[serde(default)]
    pub recursive: bool,
}

/// Delete a file, or a folder (a non-empty one only with `recursive=true`). `If-Match: ETAG`
/// (or `If-Unmodified-Since`) deletes only the version the client read (`412` otherwise; a
/// folder has no ETag, so `If-Match` never holds for one).
#[utoipa::path(
    delete, path = "/api/v1/files/{path}", operation_id = "delete_entry", tag = FILES,
    params(
        ("path" = String, Path, min_length = 1, pattern = r"^[^\u0000-\u001f\u007f-\u009f\\]*$", description = "Path inside the home"),
        DeleteQuery,
        ("If-Match" = Option<String>, Header, nullable = false, description = "Delete only the file whose ETag is listed"),
        ("If-Unmodified-Since" = Option<String>, Header, nullable = false, description = "HTTP-date: delete only an entry not modified since"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 412, description = "If-Match / If-Unmodified-Since does not hold", content_type = "application/problem+json", body = crate::error::Problem),
        DeleteErrors,
    ),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn delete(
    auth: Authed,
    ApiPath(path): ApiPath<String>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let path = home_path(&path);
    preconditions::check_write(&auth.session, &path, &headers).await?;
    auth.session.remove(&path, q.recursive).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The request's `Content-Length`, if it has one.
pub fn content_length(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    headers
        .get(header::CONTENT_LENGTH)
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| HttpError::BadHeader("Content-Length is not a number".into()).into())
        })
        .transpose()
}
