//! `POST /api/v1/login` and `POST /api/v1/logout`: bearer tokens for the web page and
//! generated clients. The token is random (256 bits), stored only hashed, and expires. On
//! request the login also sets it as the [download cookie](crate::cookie).

use axum::Json;
use axum::extract::State;
use axum::http::header::{HeaderName, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api_doc::{LoginErrors, LogoutErrors, tags::AUTH};
use crate::auth::{Authed, Peer};
use crate::cookie;
use crate::error::ApiError;
use crate::extract::ApiJson;
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
    /// Also set the token as the `ferry_download` cookie (`Path=/api/v1/files`, `HttpOnly`,
    /// `SameSite=Strict`), which authenticates file downloads (`GET`/`HEAD` only) without an
    /// `Authorization` header, so plain links work and the browser can resume them.
    #[serde(default)]
    pub cookie: bool,
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
/// `429 auth_throttled` with `Retry-After`. With `"cookie": true` the token is also set as the
/// `ferry_download` cookie for plain, resumable download links.
#[utoipa::path(
    post, path = "/api/v1/login", operation_id = "login", tag = AUTH,
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse, headers(
            ("Set-Cookie" = String, description = "Only with `\"cookie\": true`: \
                `ferry_download=TOKEN; Path=/api/v1/files; HttpOnly; SameSite=Strict; Max-Age=TTL`"),
        )),
        LoginErrors,
    ),
    security(())
)]
pub async fn login(
    State(state): State<AppState>,
    Peer(peer): Peer,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<(Option<SetCookie>, Json<LoginResponse>), ApiError> {
    let session = state
        .ferry
        .login_password(peer, &req.username, &req.password)
        .await?;
    let grant = state.ferry.token_create(&session).await?;
    let ttl = state.ferry.config().token_ttl.as_secs();
    let set_cookie = req
        .cookie
        .then(|| [(SET_COOKIE, cookie::set(&grant.token, ttl))]);
    Ok((
        set_cookie,
        Json(LoginResponse {
            token: grant.token,
            expires: grant.expires,
            user: session.user().to_string(),
        }),
    ))
}

/// Log out: revoke the bearer token the request carries (a no-op with Basic auth).
///
/// The answer also clears the `ferry_download` cookie.
#[utoipa::path(
    post, path = "/api/v1/logout", operation_id = "logout", tag = AUTH,
    responses(
        (status = 204, description = "The token no longer works", headers(
            ("Set-Cookie" = String, description = "Clears `ferry_download` (`Max-Age=0`)"),
        )),
        LogoutErrors,
    ),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn logout(auth: Authed) -> Result<(StatusCode, SetCookie), ApiError> {
    if let Some(token) = &auth.token {
        auth.session.logout(token).await?;
    }
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, cookie::clear())]))
}

/// A `Set-Cookie` header as a response part.
type SetCookie = [(HeaderName, HeaderValue); 1];
