//! `POST`: creation, creation-with-upload, creation-defer-length, and the parts and final of
//! a concatenation. Quota is reserved for the whole `Upload-Length` now, as for every Ferry
//! upload; with `Upload-Defer-Length: 1` for the most the upload may grow to, shrunk to the
//! length when a `PATCH` states it.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ferry_core::model::UploadInfo;
use ferry_core::{NewUpload, Session, UploadId};

use super::error::Tus;
use super::headers::{Concat, parse_concat, parse_metadata};
use super::patch::{append_body, is_offset_stream};
use super::version::TusResumable;
use super::{PARTS_DIR, concat, number, state_headers, target, text, upload_url};
use crate::api_doc::{Binary, TusErrors, tags::TUS};
use crate::auth::Authed;
use crate::error::HttpError;
use crate::state::AppState;

/// Create an upload; its first bytes may come in the same request.
///
/// `Upload-Metadata` names the target: `filename` and `folder`, or `path`; `md5` (hex) is
/// verified at commit; `overwrite` replaces an existing file (otherwise a taken name is
/// `409 already_exists`). A name outside the home is `403 path_outside_home`. With
/// `Upload-Concat: partial` the upload is a part of a later `final;URL URL…` upload, which
/// joins the complete parts into the target file at once.
#[utoipa::path(
    post, path = "/api/v1/tus/", tag = TUS, operation_id = "tusCreate",
    params(
        TusResumable,
        ("Upload-Length" = Option<u64>, Header, nullable = false, description = "The file's size; reserved against the quota now (not needed for a final upload)"),
        ("Upload-Defer-Length" = Option<String>, Header, nullable = false, pattern = "^1$", description = "`1`: the size is not known yet (a later PATCH states it in `Upload-Length`); up to `--max-upload-size` or the quota left is reserved meanwhile"),
        ("Upload-Metadata" = Option<String>, Header, nullable = false, description = "`filename BASE64,folder BASE64` or `path BASE64`; optional `md5 BASE64(hex)`, `overwrite`"),
        ("Upload-Concat" = Option<String>, Header, nullable = false, description = "`partial`, or `final;URL URL…` to join complete parts"),
        ("Upload-Checksum" = Option<String>, Header, nullable = false, description = "Of the bytes in this request (creation-with-upload)"),
    ),
    request_body(content = Option<Binary>, content_type = "application/offset+octet-stream"),
    responses(
        (status = 201, description = "Created; send bytes to `Location`", headers(
            ("Location" = String, description = "The upload (`/api/v1/tus/ID`; a final upload `/api/v1/tus/final/PATH`)"),
            ("Upload-Offset" = u64, description = "Bytes held"),
            ("Upload-Expires" = String, description = "When an idle upload is discarded"),
        )),
        (status = 460, description = "The bytes sent along do not match `Upload-Checksum`; nothing was created", body = crate::error::Problem, content_type = "application/problem+json"),
        TusErrors,
    ),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    _: TusResumable,
    mut auth: Authed,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Tus> {
    let concat = text(&headers, "upload-concat")?
        .map(parse_concat)
        .transpose()?;
    let meta = parse_metadata(text(&headers, "upload-metadata")?.unwrap_or_default())?;
    if let Some(Concat::Final(parts)) = concat {
        return concat::create_final(auth.session, parts, meta).await;
    }
    let deferred = match text(&headers, "upload-defer-length")? {
        None => false,
        Some("1") => true,
        Some(_) => {
            return Err(HttpError::BadHeader("Upload-Defer-Length must be 1".into()).into());
        }
    };
    let size = number(&headers, "upload-length")?;
    let size = match (size, deferred) {
        (Some(_), true) => {
            return Err(HttpError::BadHeader(
                "send Upload-Length or Upload-Defer-Length, not both".into(),
            )
            .into());
        }
        (None, false) => {
            return Err(HttpError::BadHeader(
                "Upload-Length (or Upload-Defer-Length: 1) is required".into(),
            )
            .into());
        }
        (size, _) => size,
    };
    let session = &mut auth.session;
    let info = match (concat, size) {
        (Some(Concat::Partial), Some(size)) => create_part(session, size).await?,
        (Some(Concat::Partial), None) => {
            return Err(
                HttpError::BadHeader("a partial upload needs its Upload-Length".into()).into(),
            );
        }
        _ => {
            let t = target::target(&meta)?;
            let new = NewUpload {
                size,
                md5: t.md5,
                sha256: None,
                options: ferry_core::CreateOptions {
                    overwrite: t.overwrite,
                    parents: true,
                },
                transient: false,
            };
            session.upload_create_new(&t.path, new).await?
        }
    };
    let id = info.id.to_string();
    let info = match has_body(&headers)? {
        false => info,
        true => match append_body(&state, session, &id, 0, &headers, body).await {
            Ok(s) => s.info,
            Err(e) => {
                // The client never learnt the upload's URL: leave nothing behind.
                let _ = session.upload_cancel(&id).await;
                return Err(e);
            }
        },
    };
    let mut resp = StatusCode::CREATED.into_response();
    state_headers(resp.headers_mut(), &info);
    resp.headers_mut().insert(header::LOCATION, upload_url(&id));
    Ok(resp)
}

/// A part of a concatenation: an upload to a fresh name in [`PARTS_DIR`].
async fn create_part(session: &mut Session, size: u64) -> Result<UploadInfo, Tus> {
    session.mkdir(PARTS_DIR, true).await?;
    let name = format!("{PARTS_DIR}/{}", UploadId::random()?);
    Ok(session.upload_create(&name, size, None, false).await?)
}

/// Whether the creation request carries bytes (creation-with-upload).
fn has_body(headers: &HeaderMap) -> Result<bool, Tus> {
    let sends = headers.contains_key(header::TRANSFER_ENCODING)
        || number(headers, "content-length")?.is_some_and(|n| n > 0);
    Ok(sends && is_offset_stream(headers)?)
}
