//! Credentials on every API request: HTTP Basic (so `curl -u alice:secret` works) or a bearer
//! token from `POST /api/v1/login`, and for file downloads alone the same token as the
//! [`cookie`](crate::cookie) a login can set. All end in a core [`Session`]; the core does the
//! checking and the failed-login throttling shared with the TCP door.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use base64::Engine;
use ferry_core::{Error, Session};
use http::header::AUTHORIZATION;
use http::request::Parts;

use crate::cookie;
use crate::error::{ApiError, HttpError};
use crate::state::AppState;

/// A request's credentials, checked.
#[derive(Debug)]
pub struct Authed {
    /// The user's session for this request.
    pub session: Session,
    /// The bearer token, when the request used one (logout revokes it). `None` for Basic and
    /// for the download cookie, which never reaches logout.
    pub token: Option<String>,
}

/// The peer's address, for throttling by source (loopback when unknown, as in-process tests).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(source(parts)))
    }
}

fn source(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip())
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let mut authed = authenticate(parts, state).await?;
        // A request's session ends with the request; the upload it wrote stays open for the
        // client's next chunk.
        authed.session.keep_writers_open();
        Ok(authed)
    }
}

async fn authenticate(parts: &mut Parts, state: &AppState) -> Result<Authed, ApiError> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else {
        return match cookie::read(&parts.headers) {
            Some(token) if cookie::applies(&parts.method, parts.uri.path()) => {
                let session = state.ferry.token_session(token).await?;
                Ok(Authed {
                    session,
                    token: None,
                })
            }
            _ => Err(HttpError::Unauthenticated.into()),
        };
    };
    let value = value
        .to_str()
        .map_err(|_| HttpError::BadHeader("Authorization is not ASCII".into()))?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        let session = state.ferry.token_session(rest).await?;
        return Ok(Authed {
            session,
            token: Some(rest.to_string()),
        });
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| HttpError::BadHeader("Basic credentials are not base64 UTF-8".into()))?;
        let (name, password) = decoded
            .split_once(':')
            .ok_or_else(|| HttpError::BadHeader("Basic credentials need user:password".into()))?;
        let session = state
            .ferry
            .login_password(source(parts), name, password)
            .await?;
        return Ok(Authed {
            session,
            token: None,
        });
    }
    Err(ApiError::Core(Error::NotAuthenticated))
}
