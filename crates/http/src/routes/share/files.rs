//! The bytes of a share link: a file (whole or a range), a drop-box upload, the zip of the
//! folder.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use ferry_core::Error;

use super::failure::{Answer, ShareFailure};
use super::open;
use crate::api_doc::{Binary, ShareLinkErrors, tags::SHARED};
use crate::auth::Peer;
use crate::body::{self, BodyProbe};
use crate::error::{ApiError, HttpError};
use crate::extract::ApiPath;
use crate::routes::body_checks::whole_body_checks;
use crate::routes::download::{self as dl, Method};
use crate::routes::files::content_length;
use crate::routes::zip;
use crate::state::AppState;

/// A file of the link (`relative` "" for a file link), with Range, If-Range and
/// If-None-Match; a `GET` from the first byte counts as a download.
async fn send_file(
    state: &AppState,
    peer: Peer,
    id: &str,
    relative: &str,
    req: &HeaderMap,
    method: Method,
) -> Answer {
    let access = open(state, peer, id, req).await?;
    let fail = |e: ApiError| ShareFailure::new(e, req, id);
    if access.is_folder() && relative.is_empty() {
        let e = Error::ShareRefused("a folder link downloads as /zip".into());
        return Err(fail(e.into()));
    }
    let first = access
        .download(relative, 0, false)
        .await
        .map_err(|e| fail(e.into()))?;
    let reopen = |offset| access.download(relative, offset, false);
    let (resp, fresh) = dl::respond_with(first, reopen, req, method)
        .await
        .map_err(fail)?;
    if fresh {
        access.count().await.map_err(|e| fail(e.into()))?;
    }
    Ok(resp)
}

/// Download the file of a file link. Always an attachment; `Range` gives `206`.
#[utoipa::path(
    get, path = "/s/{id}/download", operation_id = "share_download", tag = SHARED,
    params(
        ("id" = String, Path, description = "The link's id"),
        ("Range" = Option<String>, Header, nullable = false, description = "One byte range"),
        ("If-Range" = Option<String>, Header, nullable = false, description = "Serve the range only if the ETag still matches"),
    ),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream", body = Binary),
        (status = 206, description = "The range", content_type = "application/octet-stream", body = Binary),
        (status = 304, description = "Not modified"),
        (status = 416, description = "Range not satisfiable", content_type = "application/problem+json", body = crate::error::Problem),
        ShareLinkErrors,
    ),
    security(())
)]
pub async fn download(
    State(state): State<AppState>,
    peer: Peer,
    ApiPath(id): ApiPath<String>,
    req: HeaderMap,
) -> Answer {
    send_file(&state, peer, &id, "", &req, Method::Get).await
}

/// The headers of the file of a file link.
#[utoipa::path(
    head, path = "/s/{id}/download", operation_id = "share_download_head", tag = SHARED,
    params(("id" = String, Path, description = "The link's id")),
    responses((status = 200, description = "The file's headers"), ShareLinkErrors),
    security(())
)]
pub async fn download_head(
    State(state): State<AppState>,
    peer: Peer,
    ApiPath(id): ApiPath<String>,
    req: HeaderMap,
) -> Answer {
    send_file(&state, peer, &id, "", &req, Method::Head).await
}

/// Download a file of a folder link. Always an attachment; `Range` gives `206`.
#[utoipa::path(
    get, path = "/s/{id}/files/{path}", operation_id = "share_download_file", tag = SHARED,
    params(
        ("id" = String, Path, description = "The link's id"),
        ("path" = String, Path, description = "The file inside the shared folder"),
        ("Range" = Option<String>, Header, nullable = false, description = "One byte range"),
        ("If-Range" = Option<String>, Header, nullable = false, description = "Serve the range only if the ETag still matches"),
    ),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream", body = Binary),
        (status = 206, description = "The range", content_type = "application/octet-stream", body = Binary),
        (status = 304, description = "Not modified"),
        (status = 416, description = "Range not satisfiable", content_type = "application/problem+json", body = crate::error::Problem),
        ShareLinkErrors,
    ),
    security(())
)]
pub async fn file(
    State(state): State<AppState>,
    peer: Peer,
    ApiPath((id, path)): ApiPath<(String, String)>,
    req: HeaderMap,
) -> Answer {
    send_file(&state, peer, &id, &path, &req, Method::Get).await
}

/// The headers of a file of a folder link.
#[utoipa::path(
    head, path = "/s/{id}/files/{path}", operation_id = "share_head_file", tag = SHARED,
    params(
        ("id" = String, Path, description = "The link's id"),
        ("path" = String, Path, description = "The file inside the shared folder"),
    ),
    responses((status = 200, description = "The file's headers"), ShareLinkErrors),
    security(())
)]
pub async fn file_head(
    State(state): State<AppState>,
    peer: Peer,
    ApiPath((id, path)): ApiPath<(String, String)>,
    req: HeaderMap,
) -> Answer {
    send_file(&state, peer, &id, &path, &req, Method::Head).await
}

/// Upload a file into a drop box (a folder link that takes uploads): one name, never
/// replacing a file; counted against the owner's quota. Digest headers (`Content-MD5`,
/// `Repr-Digest`, `Content-Digest`) are checked as on `PUT /api/v1/files/{path}`.
#[utoipa::path(
    put, path = "/s/{id}/files/{path}", operation_id = "share_upload", tag = SHARED,
    params(
        ("id" = String, Path, description = "The link's id"),
        ("path" = String, Path, description = "The new file's name"),
    ),
    request_body(content = Binary, content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Stored", body = ferry_core::model::Entry),
        (status = 411, description = "Content-Length missing", content_type = "application/problem+json", body = crate::error::Problem),
        ShareLinkErrors,
    ),
    security(())
)]
pub async fn upload(
    State(state): State<AppState>,
    peer: Peer,
    ApiPath((id, name)): ApiPath<(String, String)>,
    req: HeaderMap,
    body: Body,
) -> Answer {
    let fail = |e: ApiError| ShareFailure::new(e, &req, &id);
    let mut access = open(&state, peer, &id, &req).await?;
    let size = content_length(&req)
        .map_err(fail)?
        .ok_or_else(|| fail(HttpError::LengthRequired.into()))?;
    let checks = whole_body_checks(&req).map_err(fail)?;
    let probe = BodyProbe::default();
    let idle = state.limits.body_idle_timeout;
    let reader = body::reader(body, idle, probe.clone());
    let entry = access
        .upload(&name, size, reader, checks)
        .await
        .map_err(|e| fail(probe.explain(idle, e)))?;
    Ok((StatusCode::CREATED, axum::Json(entry)).into_response())
}

/// Download a whole shared folder as one zip (stored, not compressed), streamed; counts as
/// one download.
#[utoipa::path(
    get, path = "/s/{id}/zip", operation_id = "share_zip", tag = SHARED,
    params(("id" = String, Path, description = "The link's id")),
    responses(
        (status = 200, description = "The folder as a zip (`Content-Disposition: attachment; filename=\"NAME.zip\"`)", content_type = "application/octet-stream", body = Binary),
        ShareLinkErrors,
    ),
    security(())
)]
pub async fn zip_all(
    State(state): State<AppState>,
    peer: Peer,
    ApiPath(id): ApiPath<String>,
    req: HeaderMap,
) -> Answer {
    let access = open(&state, peer, &id, &req).await?;
    let fail = |e: ApiError| ShareFailure::new(e, &req, &id);
    let name = access.public().await.map_err(|e| fail(e.into()))?.name;
    // Walked and counted before the answer starts, so a link that is exhausted or too big is
    // refused with its status.
    let files = access.walk().await.map_err(|e| fail(e.into()))?;
    access.count().await.map_err(|e| fail(e.into()))?;
    Ok(zip::respond(access, files, &name))
}
