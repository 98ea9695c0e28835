//! tus 1.0.0 resumable uploads under `/api/v1/tus/`, for standard clients (tus-js-client,
//! Uppy, tuspy) as they are. A tus upload *is* a core upload session: the same ids, offsets,
//! one-writer rule, quota reservation, running MD5 and expiry as the Content-Range dialect
//! and the TCP door, so an upload begun in one is continued in any other. These files only
//! translate.
//!
//! ```text
//! OPTIONS /api/v1/tus/                          -> 204 Tus-Version, Tus-Extension, Tus-Max-Size …
//! POST    /api/v1/tus/  Upload-Length (or Upload-Defer-Length: 1), Upload-Metadata
//!                                                -> 201 Location: /api/v1/tus/ID
//! HEAD    /api/v1/tus/ID                         -> 200 Upload-Offset, Upload-Length
//! PATCH   /api/v1/tus/ID  Upload-Offset: N       -> 204 Upload-Offset: N+len (last: committed)
//! DELETE  /api/v1/tus/ID                         -> 204
//! POST    /api/v1/tus/  Upload-Concat: final;…   -> 201 Location: /api/v1/tus/final/PATH
//! ```
//!
//! - `error`: tus-only causes, the `460`/`412` statuses, `Tus-Resumable` on every error;
//! - `headers`: pure parsers of `Upload-Metadata`, `Upload-Checksum`, `Upload-Concat`;
//! - `target`: the metadata keys that name the target file;
//! - `version`: the `Tus-Resumable` check;
//! - `options`: discovery; `create`: creation (with upload); `head`; `patch`; `delete`;
//! - `concat`: joining partial uploads; `method_override`: `X-HTTP-Method-Override`.

pub mod concat;
pub mod create;
pub mod delete;
pub mod error;
pub mod head;
pub mod headers;
pub mod method_override;
pub mod options;
pub mod patch;
pub mod target;
pub mod version;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware;
use axum::response::Response;
use axum::routing::post;
use ferry_core::model::UploadInfo;

pub use error::{Tus, TusError, VERSION};

use crate::error::HttpError;
use crate::state::AppState;

/// Folder in each home where partial uploads of a concatenation are committed before they
/// are joined (and removed).
pub const PARTS_DIR: &str = "/.tus-parts";

/// The tus routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/tus",
            post(create::create).options(options::options),
        )
        .route(
            "/api/v1/tus/",
            post(create::create).options(options::options),
        )
        .route(
            "/api/v1/tus/{id}",
            axum::routing::head(head::head)
                .patch(patch::patch)
                .delete(delete::delete)
                .post(method_override::upload)
                .options(options::options),
        )
        .route(
            "/api/v1/tus/final/{*path}",
            axum::routing::head(concat::head)
                .patch(concat::patch)
                .delete(concat::delete)
                .post(method_override::final_upload)
                .options(options::options),
        )
        .layer(middleware::map_response(tus_resumable))
}

/// Every tus response carries `Tus-Resumable`, errors and extractor rejections included.
async fn tus_resumable(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(VERSION));
    resp
}

/// `/api/v1/tus/ID`.
pub fn upload_url(id: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{}{id}", headers::PREFIX))
        .unwrap_or(HeaderValue::from_static(headers::PREFIX))
}

/// Whether an upload is a part of a concatenation (committed only when the final is made).
pub fn is_partial(info: &UploadInfo) -> bool {
    info.path.to_string().starts_with(&format!("{PARTS_DIR}/"))
}

pub use super::header_text as text;

/// A whole-number header, if present.
pub fn number(headers: &HeaderMap, name: &str) -> Result<Option<u64>, HttpError> {
    text(headers, name)?
        .map(|v| headers::parse_number(name, v.trim()).map_err(HttpError::BadHeader))
        .transpose()
}

/// The headers that describe an upload's state: `Upload-Offset`, `Upload-Length` (or
/// `Upload-Defer-Length: 1` while the length is open), `Upload-Expires`, and `Cache-Control: no-store` (a cached offset would resume wrong).
pub fn state_headers(h: &mut HeaderMap, info: &UploadInfo) {
    h.insert("upload-offset", HeaderValue::from(info.offset));
    if info.length_deferred {
        h.insert("upload-defer-length", HeaderValue::from_static("1"));
    } else {
        h.insert("upload-length", HeaderValue::from(info.size));
    }
    if let Ok(secs) = u64::try_from(info.expires) {
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(when)) {
            h.insert("upload-expires", v);
        }
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
