//! `POST /api/v1/login` and `POST /api/v1/logout`: bearer tokens for the web page and
//! generated clients. The token is random (256 bits), stored only hashed, and expires.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Authed, Peer};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::openapi::{AUTH, Errors};
use crate::state::AppState;

/// Credentials for a token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The user name.
    #[schema(example = "alice")]
    pub username: String,
    /// The password.
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

/// A bearer token.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
    /// Unix seconds after which the token no longer works.
    pub expires: i64,
    /// The user logged in.
    pub user: String,
}

/// Log in: exchange a user name and password for a bearer token.
///
/// Failed attempts are throttled per source and per account, like the TCP door: after five,
/// `429 auth_throttled` with `Retry-After`.
#[utoipa::path(
    post, path = "/api/v1/login", tag = AUTH,
    request_body = LoginRequest,
    responses((status = 200, description = "Logged in", body = LoginResponse), Errors),
    security(())
)]
pub async fn login(
    State(state): State<AppState>,
    Peer(peer): Peer,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let session = state
        .ferry
        .login_password(peer, &req.username, &req.password)
        .await?;
    let grant = state.ferry.token_create(&session).await?;
    Ok(Json(LoginResponse {
        token: grant.token,
        expires: grant.expires,
        user: session.user().to_string(),
    }))
}

/// Log out: revoke the bearer token the request carries (a no-op with Basic auth).
#[utoipa::path(
    post, path = "/api/v1/logout", tag = AUTH,
    responses((status = 204, description = "The token no longer works"), Errors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn logout(State(state): State<AppState>, auth: Authed) -> Result<StatusCode, ApiError> {
    if let Some(token) = auth.token {
        state.ferry.token_revoke(&token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
