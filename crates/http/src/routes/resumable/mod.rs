//! Resumable uploads as the IETF draft spells them (`draft-ietf-httpbis-resumable-upload`,
//! interop versions 5 to 8: tus-js-client's `ietf-draft-03` and `ietf-draft-05` and the
//! latest draft) under `/api/v1/resumable/`. An upload here *is* a core upload session, the
//! same ids, offsets, quota reservation, running MD5 and expiry as `/api/v1/uploads`, tus and
//! the TCP door; these files only translate.
//!
//! ```text
//! OPTIONS /api/v1/resumable/                             -> 204 Accept-Patch, Upload-Limit
//! POST    /api/v1/resumable/?path=/a.bin  Upload-Complete: ?0, Upload-Length: N [bytes…]
//!                                                        -> 201 Location: /api/v1/resumable/ID
//! HEAD    /api/v1/resumable/ID                           -> 204 Upload-Offset, Upload-Complete,
//!                                                               Upload-Length, Upload-Limit
//! PATCH   /api/v1/resumable/ID  Upload-Offset: X, Upload-Complete: ?0   -> 204 (appended)
//! PATCH   /api/v1/resumable/ID  Upload-Offset: Y, Upload-Complete: ?1   -> 201 the file
//! DELETE  /api/v1/resumable/ID                           -> 204
//! PUT     /api/v1/files/PATH  Upload-Complete: ?0|?1     -> the same creation, for that path
//! ```
//!
//! No `104 (Upload Resumption Supported)` is sent: hyper has no server API for informational
//! responses, so clients learn the upload's URL from the final answer to a creation (the
//! draft's "careful" flow, which tus-js-client uses).
//!
//! - `fields`: pure parsers and formatters of the draft's header fields;
//! - `target`: where the file goes (`?path=`, tus-style `Upload-Metadata`, or
//!   `Content-Disposition`);
//! - `create`: creation (with or without bytes, complete or not); `append`: `PATCH`;
//! - `head`: offset retrieval; `delete`: cancellation; `options`: discovery.

pub mod append;
pub mod create;
pub mod delete;
pub mod fields;
pub mod head;
pub mod options;
pub mod target;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::routing::post;
use ferry_core::model::{UploadInfo, unix_now};
use http::request::Parts;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ObjectBuilder, Required, Type};

use crate::error::{ApiError, HttpError};
use crate::routes::header_text;
use crate::state::AppState;

/// Where the upload resources live.
pub const PREFIX: &str = "/api/v1/resumable/";

/// The IETF-draft routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/resumable",
            post(create::create).options(options::options),
        )
        .route(
            "/api/v1/resumable/",
            post(create::create).options(options::options),
        )
        .route(
            "/api/v1/resumable/{id}",
            axum::routing::head(head::head)
                .patch(append::patch)
                .delete(delete::delete)
                .options(options::options),
        )
}

/// `/api/v1/resumable/ID`.
pub fn upload_url(id: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{PREFIX}{id}")).unwrap_or(HeaderValue::from_static(PREFIX))
}

/// The interop version a request speaks (the latest when it names none); another is `400
/// interop_version_unsupported`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interop(pub u32);

impl<S: Send + Sync> FromRequestParts<S> for Interop {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let value = header_text(&parts.headers, "upload-draft-interop-version")?;
        fields::parse_interop(value)
            .map(Interop)
            .map_err(|e| HttpError::InteropVersion(e).into())
    }
}

impl utoipa::IntoParams for Interop {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let schema = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(5))
            .maximum(Some(8));
        vec![
            ParameterBuilder::new()
                .name("Upload-Draft-Interop-Version")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "The draft revision the client speaks: 5 (draft-03), 6 (draft-04/05), 7 \
                     (draft-06 to -08) or 8 (draft-09 to -12); the latest when absent",
                ))
                .schema(Some(schema))
                .build(),
        ]
    }
}

/// A header that must be an sf-boolean, if present.
pub fn bool_field(headers: &HeaderMap, name: &str) -> Result<Option<bool>, ApiError> {
    header_text(headers, name)?
        .map(|v| fields::parse_bool(name, v).map_err(|e| HttpError::BadHeader(e).into()))
        .transpose()
}

/// A header that must be a non-negative sf-integer, if present.
pub fn int_field(headers: &HeaderMap, name: &str) -> Result<Option<u64>, ApiError> {
    header_text(headers, name)?
        .map(|v| fields::parse_int(name, v).map_err(|e| HttpError::BadHeader(e).into()))
        .transpose()
}

/// `Upload-Complete`, which creation and append must carry.
pub fn upload_complete(headers: &HeaderMap) -> Result<bool, ApiError> {
    bool_field(headers, "upload-complete")?
        .ok_or_else(|| HttpError::BadHeader("Upload-Complete (?0 or ?1) is required".into()).into())
}

/// The limits of an upload (or of uploads to come, without `info`).
pub fn limit(state: &AppState, info: Option<&UploadInfo>) -> fields::Limit {
    fields::Limit {
        max_size: state.ferry.config().max_upload_size,
        max_append_size: state.limits.max_chunk,
        // An upload's own time left; before there is one (`OPTIONS`), what a new one gets.
        max_age: Some(info.map_or(state.ferry.config().upload_ttl.as_secs(), |i| {
            u64::try_from(i.expires - unix_now()).unwrap_or(0)
        })),
    }
}

/// The state of an upload: `Upload-Offset`, `Upload-Complete`, `Upload-Length` (when known),
/// `Upload-Limit`, and `Cache-Control: no-store` (a cached offset would resume wrong).
pub fn state_headers(h: &mut HeaderMap, state: &AppState, info: &UploadInfo, complete: bool) {
    h.insert("upload-offset", HeaderValue::from(info.offset));
    h.insert(
        "upload-complete",
        HeaderValue::from_static(if complete { "?1" } else { "?0" }),
    );
    if !info.length_deferred {
        h.insert("upload-length", HeaderValue::from(info.size));
    }
    if let Ok(v) = HeaderValue::from_str(&fields::format_limit(&limit(state, Some(info)))) {
        h.insert("upload-limit", v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
