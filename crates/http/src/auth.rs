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
        authed.session.set_source(source(parts));
        // The request's span (see `access`) names the user from here on.
        tracing::Span::current().record("user", authed.session.user().as_str());
        // A request's session ends with the request; the upload it wrote stays open for the
        // client's next chunk.
        authed.session.keep_writers_open();
        // A newer request for an upload ends an older one still being read: the client gave
        // that one up (its connection broke and the server has not noticed yet).
        authed.session.newer_request_wins();
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
        if changes_state(&parts.method)
            && cross_origin(&parts.headers, &parts.uri)
            && !crate::cors::listed(&parts.headers, &state.limits.cors_origins)
        {
            return Err(HttpError::CrossOrigin.into());
        }
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

/// Methods that change something. Bearer tokens need script to be sent and the download
/// cookie only works for `GET`/`HEAD`, so only Basic — which a browser replays on its own —
/// needs this check.
fn changes_state(method: &http::Method) -> bool {
    use http::Method as M;
    [M::POST, M::PUT, M::PATCH, M::DELETE].contains(method)
}

/// Whether the browser says the request comes from another site: `Sec-Fetch-Site: cross-site`,
/// or an `Origin` whose host and port are not this request's `Host`. Clients that send neither
/// (curl, scripts) are not browsers and pass; an origin listed with `--cors-origin` is let
/// through by the caller, since the operator trusts its pages.
fn cross_origin(headers: &http::HeaderMap, uri: &http::Uri) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header("sec-fetch-site").is_some_and(|v| v.eq_ignore_ascii_case("cross-site")) {
        return true;
    }
    let Some(origin) = headers.get(http::header::ORIGIN) else {
        return false;
    };
    let Some(origin_host) = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, host)| host.trim_end_matches('/'))
    else {
        return true; // `null` (a sandboxed or file: page) or unparsable.
    };
    let host = header("host").or_else(|| uri.authority().map(|a| a.as_str()));
    !host.is_some_and(|h| h.eq_ignore_ascii_case(origin_host))
}
