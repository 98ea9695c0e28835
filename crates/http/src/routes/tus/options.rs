//! Discovery: what this server speaks. No credentials needed, as tus specifies.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::VERSION;
use super::headers::CHECKSUM_ALGORITHMS;
use crate::api_doc::tags::TUS;
use crate::state::AppState;

/// The extensions `Tus-Extension` lists.
pub const EXTENSIONS: &str = "creation,creation-with-upload,creation-defer-length,expiration,checksum,termination,concatenation";

/// tus discovery: versions, extensions, the largest upload, checksum algorithms.
#[utoipa::path(
    options, path = "/api/v1/tus/", tag = TUS, operation_id = "tusOptions",
    security(()),
    responses((status = 204, description = "What the server speaks", headers(
        ("Tus-Resumable" = String, description = "`1.0.0`"),
        ("Tus-Version" = String, description = "`1.0.0`"),
        ("Tus-Extension" = String, description = "creation, creation-with-upload, creation-defer-length, expiration, checksum, termination, concatenation"),
        ("Tus-Max-Size" = u64, description = "The largest upload, in bytes (`--max-upload-size`)"),
        ("Tus-Checksum-Algorithm" = String, description = "sha1, sha256, md5, crc32"),
    ))),
)]
pub async fn options(State(state): State<AppState>) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert("tus-version", HeaderValue::from_static(VERSION));
    h.insert("tus-extension", HeaderValue::from_static(EXTENSIONS));
    h.insert(
        "tus-max-size",
        HeaderValue::from(state.ferry.config().max_upload_size),
    );
    h.insert(
        "tus-checksum-algorithm",
        HeaderValue::from_static(CHECKSUM_ALGORITHMS),
    );
    resp
}
