//! Discovery: `Accept-Patch: application/partial-upload` says uploads can be created and
//! appended to here, `Upload-Limit` what they are held to. No credentials needed.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{fields, limit};
use crate::api_doc::tags::RESUMABLE;
use crate::state::AppState;

/// What uploads here are held to.
#[utoipa::path(
    options, path = "/api/v1/resumable/", tag = RESUMABLE, operation_id = "resumableOptions",
    security(()),
    responses((status = 204, description = "Resumable uploads are supported", headers(
        ("Accept-Patch" = String, description = "`application/partial-upload`"),
        ("Upload-Limit" = String, description = "`max-size` (`--max-upload-size`), `max-age` (seconds a new upload may stay idle) and `max-append-size` (`--http-max-chunk`, when set)"),
    ))),
)]
pub async fn options(State(state): State<AppState>) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert(
        "accept-patch",
        HeaderValue::from_static(fields::PARTIAL_UPLOAD),
    );
    if let Ok(v) = HeaderValue::from_str(&fields::format_limit(&limit(&state, None))) {
        h.insert("upload-limit", v);
    }
    resp
}
