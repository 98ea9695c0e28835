//! The routes, one file per resource, and the router that mounts them.
//!
//! Paths are declared twice, once in each handler's `#[utoipa::path]` (for the spec) and once
//! here: utoipa-axum's `routes!` cannot express axum's `{*path}` catch-all, which file paths
//! with slashes need. `tests` checks that every documented operation is routed.

pub mod admin;
pub mod append;
pub mod append_limit;
pub mod body_checks;
pub mod dirs;
pub mod download;
pub mod exec;
pub mod file_query;
pub mod files;
pub mod me;
pub mod parents;
pub mod password;
pub mod preconditions;
pub mod preview;
pub mod public;
pub mod resumable;
pub mod search;
pub mod session;
pub mod share;
pub mod shares;
pub mod tus;
pub mod uploads;
pub mod web;
pub mod zip;

use axum::Json;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use ferry_core::model::Entry;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::{ApiError, HttpError};
use crate::headers::{parse_content_md5, parse_digest_field};
use crate::state::AppState;

/// The API router (without the transport layers `app()` adds).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/login", post(session::login))
        .route("/api/v1/logout", post(session::logout))
        .route("/api/v1/me", get(me::me))
        .route("/api/v1/password", post(password::change))
        .route("/api/v1/admin/users", get(admin::list).post(admin::add))
        .route(
            "/api/v1/admin/users/{name}",
            get(admin::get).patch(admin::update).delete(admin::remove),
        )
        .route(
            "/api/v1/admin/users/{name}/password",
            put(admin::reset_password),
        )
        .route("/api/v1/files/", get(files::zip_home))
        .route(
            "/api/v1/files/{*path}",
            get(files::download)
                .head(files::head)
                .put(files::put::put)
                .delete(files::delete),
        )
        .route("/api/v1/dirs", get(dirs::list_home))
        .route("/api/v1/dirs/", get(dirs::list_home))
        .route("/api/v1/dirs/{*path}", get(dirs::list).post(dirs::mkdir))
        .route("/api/v1/stat/{*path}", get(dirs::stat))
        .route("/api/v1/move", post(dirs::move_entry))
        .route("/api/v1/quota", get(dirs::quota))
        .route("/api/v1/search", get(search::search))
        .route("/api/v1/exec", post(exec::exec))
        .route("/api/v1/uploads", post(uploads::create).get(uploads::list))
        .route(
            "/api/v1/uploads/{id}",
            put(uploads::chunk)
                .get(uploads::status)
                .head(uploads::offset)
                .delete(uploads::cancel),
        )
        .route("/api/v1/shares", post(shares::create).get(shares::list))
        .route("/api/v1/shares/{id}", axum::routing::delete(shares::revoke))
        .route("/healthz", get(public::healthz))
        .merge(share::router())
        .merge(web::router())
        .merge(tus::router())
        .merge(resumable::router())
}

/// A path from the URL as a path inside the home.
pub fn home_path(path: &str) -> String {
    format!("/{path}")
}

/// Everything but RFC 3986 `unreserved` is escaped in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `/api/v1/files/PATH` for a committed file.
pub fn file_location(path: &str) -> HeaderValue {
    let mut url = String::from("/api/v1/files");
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        url.push('/');
        url.extend(utf8_percent_encode(seg, SEGMENT));
    }
    HeaderValue::from_str(&url).unwrap_or(HeaderValue::from_static("/api/v1/files"))
}

/// An entry as JSON with its ETag when it is a file with a known MD5.
pub fn entry_response(status: StatusCode, entry: &Entry) -> Response {
    let mut resp = (status, Json(entry)).into_response();
    if let Some(md5) = &entry.md5
        && let Ok(v) = HeaderValue::from_str(&format!("\"{md5}\""))
    {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// A header as text, if present; `bad_header` when it is not visible ASCII.
pub fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, HttpError> {
    headers
        .get(name)
        .map(|v| {
            v.to_str()
                .map_err(|_| HttpError::BadHeader(format!("{name} is not ASCII")))
        })
        .transpose()
}

/// The whole file's expected MD5 from `Repr-Digest: md5=:…:` or, when the body is the whole
/// file (`body_is_file`), `Content-MD5`; as hex.
pub fn whole_md5(headers: &HeaderMap, body_is_file: bool) -> Result<Option<String>, ApiError> {
    if let Some(v) = header_text(headers, "repr-digest")? {
        let md5 = parse_digest_field(v)?
            .into_iter()
            .find(|(alg, _)| alg == "md5")
            .ok_or_else(|| HttpError::BadHeader("Repr-Digest must carry md5=:BASE64:".into()))?;
        if md5.1.len() != 16 {
            return Err(HttpError::BadHeader("Repr-Digest md5 must be 16 bytes".into()).into());
        }
        return Ok(Some(hex::encode(md5.1)));
    }
    if let Some(v) = header_text(headers, "content-md5")?
        && body_is_file
    {
        return Ok(Some(hex::encode(parse_content_md5(v)?)));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::file_location;

    #[test]
    fn file_location_escapes_each_segment_and_drops_empty_ones() {
        let location = file_location("/a b//ü?#.txt/-._~");
        assert_eq!(location, "/api/v1/files/a%20b/%C3%BC%3F%23.txt/-._~");
    }
}
