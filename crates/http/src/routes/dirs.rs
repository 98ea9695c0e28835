//! Folders and the rest of the namespace: list, create, stat, move, quota.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use ferry_core::model::{Entry, Listing, QuotaInfo};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api_doc::{
    AccountReadErrors, ListHomeErrors, MkdirErrors, MoveErrors, PathReadErrors, tags::DIRS,
};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::{entry_response, home_path};

/// Paging of a listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Start after this name (the `next` of the previous page).
    pub after: Option<String>,
    /// Entries per page (1–1000, default 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

impl ListQuery {
    /// The page size, refused outside 1–1000 rather than silently changed.
    fn checked_limit(&self) -> Result<Option<u32>, ApiError> {
        match self.limit {
            Some(l) if !(1..=1000).contains(&l) => Err(ApiError::Core(
                ferry_core::Error::BadRequest(format!("limit must be 1 to 1000, not {l}")),
            )),
            l => Ok(l),
        }
    }
}

/// List the home folder.
#[utoipa::path(
    get, path = "/api/v1/dirs/", operation_id = "list_home", tag = DIRS,
    params(ListQuery),
    responses((status = 200, description = "One page, sorted by name", body = Listing), ListHomeErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn list_home(
    auth: Authed,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let listing = auth
        .session
        .list(Some("/"), q.after.clone(), q.checked_limit()?)
        .await?;
    Ok(listing_response(&listing))
}

/// List a folder: name, kind, size, modified and MD5 when known, sorted by name, paged.
#[utoipa::path(
    get, path = "/api/v1/dirs/{path}", operation_id = "list_folder", tag = DIRS,
    params(("path" = String, Path, min_length = 1, pattern = r"^[^\u0000-\u001f\u007f-\u009f\\]*$", description = "Folder path inside the home"), ListQuery),
    responses((status = 200, description = "One page, sorted by name", body = Listing), PathReadErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn list(
    auth: Authed,
    ApiPath(path): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let path = home_path(&path);
    let listing = auth
        .session
        .list(Some(&path), q.after.clone(), q.checked_limit()?)
        .await?;
    Ok(listing_response(&listing))
}

/// A listing page as JSON, written into a buffer sized for it up front: a full page is
/// ~170 KiB, which `Json` would reach by doubling from 128 bytes, copying it ten times.
fn listing_response(listing: &Listing) -> Response {
    /// Bytes of JSON per entry, a little over a typical one (name, path, size, time, MD5).
    const PER_ENTRY: usize = 192;
    let mut body = Vec::with_capacity(256 + listing.entries.len() * PER_ENTRY);
    match serde_json::to_writer(&mut body, listing) {
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(e) => ApiError::Core(ferry_core::Error::internal(e)).into_response(),
    }
}

/// Options of mkdir.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MkdirQuery {
    /// Create missing parents too, and accept an existing folder (default true).
    pub parents: Option<bool>,
}

/// Create a folder (and its parents unless `parents=false`).
#[utoipa::path(
    post, path = "/api/v1/dirs/{path}", operation_id = "make_folder", tag = DIRS,
    params(("path" = String, Path, min_length = 1, pattern = r"^[^\u0000-\u001f\u007f-\u009f\\]*$", description = "Folder path inside the home"), MkdirQuery),
    responses((status = 201, description = "The folder", body = Entry), MkdirErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn mkdir(
    auth: Authed,
    ApiPath(path): ApiPath<String>,
    ApiQuery(q): ApiQuery<MkdirQuery>,
) -> Result<Response, ApiError> {
    let entry = auth
        .session
        .mkdir(&home_path(&path), q.parents.unwrap_or(true))
        .await?;
    Ok(entry_response(StatusCode::CREATED, &entry))
}

/// Options of stat.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatQuery {
    /// Compute a file's MD5 if it is not known yet.
    #[serde(default)]
    pub digest: bool,
}

/// Metadata of one file or folder.
#[utoipa::path(
    get, path = "/api/v1/stat/{path}", operation_id = "stat_entry", tag = DIRS,
    params(("path" = String, Path, min_length = 1, pattern = r"^[^\u0000-\u001f\u007f-\u009f\\]*$", description = "Path inside the home"), StatQuery),
    responses((status = 200, description = "The entry", body = Entry), PathReadErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn stat(
    auth: Authed,
    ApiPath(path): ApiPath<String>,
    ApiQuery(q): ApiQuery<StatQuery>,
) -> Result<Json<Entry>, ApiError> {
    Ok(Json(auth.session.stat(&home_path(&path), q.digest).await?))
}

/// A move or rename.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    /// What to move.
    #[schema(
        example = "/inbox/report.pdf",
        min_length = 1,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\\]*$"
    )]
    pub from: String,
    /// Where to; must not exist unless `overwrite`.
    #[schema(
        example = "/archive/2026/report.pdf",
        min_length = 1,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\\]*$"
    )]
    pub to: String,
    /// Replace an existing target file.
    #[serde(default)]
    pub overwrite: bool,
}

/// Move or rename a file or folder, atomically.
#[utoipa::path(
    post, path = "/api/v1/move", operation_id = "move_entry", tag = DIRS,
    request_body = MoveRequest,
    responses((status = 200, description = "The entry at its new path", body = Entry), MoveErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn move_entry(
    auth: Authed,
    ApiJson(req): ApiJson<MoveRequest>,
) -> Result<Json<Entry>, ApiError> {
    Ok(Json(
        auth.session
            .rename(&req.from, &req.to, req.overwrite)
            .await?,
    ))
}

/// Bytes used, reserved by unfinished uploads, and the limit.
#[utoipa::path(
    get, path = "/api/v1/quota", operation_id = "get_quota", tag = DIRS,
    responses((status = 200, description = "The user's space", body = QuotaInfo), AccountReadErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn quota(auth: Authed) -> Result<Json<QuotaInfo>, ApiError> {
    Ok(Json(auth.session.quota().await?))
}
