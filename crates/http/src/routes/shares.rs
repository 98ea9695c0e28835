//! `/api/v1/shares`: the owner's share links — create, list, revoke. The links themselves
//! are served publicly under `/s/ID` (see [`super::share`]).

use axum::Json;
use axum::http::StatusCode;
use ferry_core::service::share::parse_lifetime;
use ferry_core::{ShareInfo, ShareOptions};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api_doc::{AccountReadErrors, CreateShareErrors, RevokeShareErrors, tags::SHARES};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};

/// A new share link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShare {
    /// The file or folder to share.
    #[schema(
        example = "/docs/report.pdf",
        min_length = 1,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\\]*$"
    )]
    pub path: String,
    /// How long the link works: `90s`, `30m`, `12h`, `7d`, `2w`; absent: until revoked.
    #[serde(default)]
    #[schema(example = "7d", pattern = r"^[0-9]{1,11}[smhdw]?$")]
    pub expires: Option<String>,
    /// A password the link asks for; absent: none.
    #[serde(default)]
    #[schema(min_length = 1)]
    pub password: Option<String>,
    /// Downloads allowed (a file from its first byte, or a zip); absent: unlimited.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 9223372036854775807_i64)]
    pub max_downloads: Option<u64>,
    /// A folder share that also accepts uploads into the folder (a drop box), counted
    /// against your quota.
    #[serde(default)]
    pub upload: bool,
}

/// Your share links.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShareList {
    /// Newest first, revoked and expired ones too.
    pub shares: Vec<ShareInfo>,
}

/// Share a file or folder as a link `/s/ID`.
///
/// The id is random (128 bits) and stored only hashed; the owner can list it again. Anyone
/// with the link can open it, with the password if one is set, until it expires, is revoked
/// or has been downloaded `max_downloads` times.
#[utoipa::path(
    post, path = "/api/v1/shares", operation_id = "create_share", tag = SHARES,
    request_body = NewShare,
    responses((status = 201, description = "The new link", body = ShareInfo), CreateShareErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn create(
    auth: Authed,
    ApiJson(req): ApiJson<NewShare>,
) -> Result<(StatusCode, Json<ShareInfo>), ApiError> {
    let options = ShareOptions {
        path: req.path,
        expires_in: req.expires.as_deref().map(parse_lifetime).transpose()?,
        password: req.password,
        max_downloads: req.max_downloads,
        upload: req.upload,
    };
    let info = auth.session.share_create(options).await?;
    Ok((StatusCode::CREATED, Json(info)))
}

/// List your share links.
#[utoipa::path(
    get, path = "/api/v1/shares", operation_id = "list_shares", tag = SHARES,
    responses((status = 200, description = "Your links", body = ShareList), AccountReadErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn list(auth: Authed) -> Result<Json<ShareList>, ApiError> {
    Ok(Json(ShareList {
        shares: auth.session.shares().await?,
    }))
}

/// Revoke one of your share links: it answers `410 share_revoked` from now on.
#[utoipa::path(
    delete, path = "/api/v1/shares/{id}", operation_id = "revoke_share", tag = SHARES,
    params(("id" = String, Path, pattern = r"^[A-Za-z0-9_-]{22}$", description = "The link's id")),
    responses((status = 204, description = "Revoked"), RevokeShareErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn revoke(auth: Authed, ApiPath(id): ApiPath<String>) -> Result<StatusCode, ApiError> {
    auth.session.share_revoke(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
