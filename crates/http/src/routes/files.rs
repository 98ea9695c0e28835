//! `/api/v1/files/{path}`: download (GET, HEAD, with Range), whole-body upload (PUT, in
//! [`put`]), delete.

use axum::extract::RawQuery;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use ferry_core::Error;
use http::header;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api_doc::{Binary, DeleteErrors, DownloadErrors, tags::FILES};
use crate::auth::Authed;
use crate::error::{ApiError, HttpError};
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::download::{self, Method};
use crate::routes::file_query::{FileQuery, FileRequest};
use crate::routes::home_path;
use crate::routes::preconditions;
use crate::routes::preview;
use crate::routes::zip;

pub mod put;

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
