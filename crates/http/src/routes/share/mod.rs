//! `/s/{id}…`: share links, public (no account): the page, downloads with Range, the zip of a
//! folder, drop-box uploads, and JSON for scripts. The core checks the link on every request
//! ([`ferry_core::Ferry::share_open`]); this module only translates.
//!
//! A password is given once with the page's form (`POST /s/{id}`), which answers with a
//! grant cookie scoped to the link (`Path=/s/{id}; HttpOnly; SameSite=Strict`), or with
//! every request as the password of HTTP Basic (any user name: `curl -u :PASSWORD`).
//!
//! Every answer carries `Referrer-Policy: no-referrer` (the link is the secret); pages get
//! [`page::SHARE_CSP`], everything else `default-src 'none'; sandbox`. Files are always
//! attachments. A browser (`Accept: text/html`) gets failures as a page with the status
//! from the one table in [`crate::error`]; other clients get the usual problem document.

mod failure;
pub mod files;
mod page;

use axum::Router;
use axum::body::Body;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use ferry_core::model::Listing;
use ferry_core::{Error, PublicShare, ShareAccess, ShareSecret};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api_doc::{ShareLinkErrors, tags::SHARED};
use crate::auth::Peer;
use crate::error::HttpError;
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

pub use failure::{Answer, ShareFailure};
use files::{download, download_head, file, file_head, upload, zip_all};
pub use page::SHARE_CSP;

use failure::html_response;

/// The grant cookie's name (one per link, by its path).
const COOKIE: &str = "ferry_share";

/// The policy of everything but the page: nothing runs, nothing loads.
const FILE_CSP: &str = "default-src 'none'; sandbox";

/// The share link routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/s/{id}", get(page).post(unlock))
        .route("/s/{id}/info", get(info))
        .route("/s/{id}/list", get(list))
        .route("/s/{id}/download", get(download).head(download_head))
        .route(
            "/s/{id}/files/{*path}",
            get(file).head(file_head).put(upload),
        )
        .route("/s/{id}/zip", get(zip_all))
        .layer(middleware::from_fn(headers))
}

/// The policy, referrer and caching headers of every share answer.
async fn headers(req: Request<Body>, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(FILE_CSP),
        );
    }
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// What the request offers for a password: the link's grant cookie, else the password of
/// HTTP Basic credentials.
fn secret(req: &HeaderMap) -> Option<Offered> {
    let cookie = req
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .map(|g| Offered::Grant(g.to_string()));
    if cookie.is_some() {
        return cookie;
    }
    let basic = req.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = basic.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    Some(Offered::Password(text.split_once(':')?.1.to_string()))
}

enum Offered {
    Grant(String),
    Password(String),
}

pub(super) async fn open(
    state: &AppState,
    peer: Peer,
    id: &str,
    req: &HeaderMap,
) -> Answer<ShareAccess> {
    let offered = secret(req);
    let secret = match &offered {
        Some(Offered::Grant(g)) => ShareSecret::Grant(g),
        Some(Offered::Password(p)) => ShareSecret::Password(p),
        None => ShareSecret::None,
    };
    state
        .ferry
        .share_open(peer.0, id, secret)
        .await
        .map_err(|e| ShareFailure::new(e, req, id))
}

/// Where in a shared folder, and from which name on.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Where {
    /// A folder inside the shared folder, e.g. `/photos/2026`; the shared folder itself when
    /// absent.
    #[serde(default)]
    pub path: Option<String>,
    /// The last name of the previous page.
    #[serde(default)]
    pub after: Option<String>,
}

/// The link's page: a file's name, size and download, or a folder's listing with
/// downloads, a zip of the whole folder and (for a drop box) an upload form.
#[utoipa::path(
    get, path = "/s/{id}", operation_id = "share_page", tag = SHARED,
    params(("id" = String, Path, description = "The link's id"), Where),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        ShareLinkErrors,
    ),
    security(())
)]
pub async fn page(
    State(state): State<AppState>,
    peer: Peer,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<Where>,
    req: HeaderMap,
) -> Answer {
    let access = open(&state, peer, &id, &req).await?;
    let fail = |e: Error| ShareFailure::new(e, &req, &id);
    let share = access.public().await.map_err(fail)?;
    let html = if access.is_folder() {
        let listing = access
            .list(q.path.as_deref().unwrap_or(""), q.after)
            .await
            .map_err(fail)?;
        page::folder_page(&id, &share, &listing)
    } else {
        page::file_page(&id, &share)
    };
    Ok(html_response(html))
}

/// The password form's fields.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Unlock {
    /// The link's password.
    pub password: String,
}

/// Give a link's password (the page's form): a right one answers with a grant cookie scoped
/// to the link — `303` to the page for a browser (`Accept: text/html`), `204` for anything
/// else — and a wrong one `403` (the form again, for a browser).
#[utoipa::path(
    post, path = "/s/{id}", operation_id = "share_unlock", tag = SHARED,
    params(("id" = String, Path, description = "The link's id")),
    request_body(content = Unlock, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 204, description = "Unlocked", headers(
            ("Set-Cookie" = String, description = "`ferry_share=GRANT; Path=/s/{id}; HttpOnly; SameSite=Strict`"),
        )),
        (status = 303, description = "Unlocked; to the page (browsers)", headers(
            ("Set-Cookie" = String, description = "`ferry_share=GRANT; Path=/s/{id}; HttpOnly; SameSite=Strict`"),
            ("Location" = String, description = "`/s/{id}`"),
        )),
        ShareLinkErrors,
    ),
    security(())
)]
pub async fn unlock(
    State(state): State<AppState>,
    peer: Peer,
    ApiPath(id): ApiPath<String>,
    req: HeaderMap,
    form: Result<Form<Unlock>, axum::extract::rejection::FormRejection>,
) -> Answer {
    let Ok(Form(form)) = form else {
        let e = HttpError::BadBody("expected a form with a password".into());
        return Err(ShareFailure::new(e, &req, &id));
    };
    let access = state
        .ferry
        .share_open(peer.0, &id, ShareSecret::Password(&form.password))
        .await
        .map_err(|e| ShareFailure::new(e, &req, &id))?;
    let browser = req
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let mut resp = if browser {
        StatusCode::SEE_OTHER
    } else {
        StatusCode::NO_CONTENT
    }
    .into_response();
    let h = resp.headers_mut();
    if browser && let Ok(v) = HeaderValue::from_str(&format!("/s/{id}")) {
        h.insert(header::LOCATION, v);
    }
    if let Some(grant) = access.grant()
        && let Ok(v) = HeaderValue::from_str(&format!(
            "{COOKIE}={grant}; Path=/s/{id}; HttpOnly; SameSite=Strict"
        ))
    {
        h.insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// What the link offers, as JSON.
#[utoipa::path(
    get, path = "/s/{id}/info", operation_id = "share_info", tag = SHARED,
    params(("id" = String, Path, description = "The link's id")),
    responses((status = 200, description = "The link", body = PublicShare), ShareLinkErrors),
    security(())
)]
pub async fn info(
    State(state): State<AppState>,
    peer: Peer,
    ApiPath(id): ApiPath<String>,
    req: HeaderMap,
) -> Answer<axum::Json<PublicShare>> {
    let access = open(&state, peer, &id, &req).await?;
    let share = access
        .public()
        .await
        .map_err(|e| ShareFailure::new(e, &req, &id))?;
    Ok(axum::Json(share))
}

/// One page of a shared folder, as JSON (paths from the shared folder).
#[utoipa::path(
    get, path = "/s/{id}/list", operation_id = "share_list", tag = SHARED,
    params(("id" = String, Path, description = "The link's id"), Where),
    responses((status = 200, description = "The folder", body = Listing), ShareLinkErrors),
    security(())
)]
pub async fn list(
    State(state): State<AppState>,
    peer: Peer,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<Where>,
    req: HeaderMap,
) -> Answer<axum::Json<Listing>> {
    let access = open(&state, peer, &id, &req).await?;
    let listing = access
        .list(q.path.as_deref().unwrap_or(""), q.after)
        .await
        .map_err(|e| ShareFailure::new(e, &req, &id))?;
    Ok(axum::Json(listing))
}
