//! `POST /api/v1/password`: users change their own password.

use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api_doc::{PasswordErrors, tags::AUTH};
use crate::auth::{Authed, Peer};
use crate::error::ApiError;
use crate::extract::ApiJson;

/// The current password and the new one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password in use now.
    pub current_password: String,
    /// The new password (at least 8 characters).
    #[schema(min_length = 8)]
    pub new_password: String,
}

/// Change your own password.
///
/// The current password is required and checked under the failed-login throttle (`429
/// auth_throttled` after repeated failures). Every other bearer token of the account is
/// revoked; the token this request carries keeps working.
#[utoipa::path(
    post, path = "/api/v1/password", operation_id = "change_password", tag = AUTH,
    request_body = PasswordChange,
    responses((status = 204, description = "Changed; other tokens revoked"), PasswordErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn change(
    Peer(peer): Peer,
    auth: Authed,
    ApiJson(req): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    auth.session
        .change_password(
            peer,
            &req.current_password,
            &req.new_password,
            auth.token.as_deref(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
