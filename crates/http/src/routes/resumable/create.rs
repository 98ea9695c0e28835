//! Creation: `POST /api/v1/resumable/` (and `PUT /api/v1/files/PATH` with `Upload-Complete`),
//! with or without bytes, `Upload-Complete: ?0` (more to come: `201` with `Location`) or
//! `?1` (the whole file: committed, `201` with the file). The length comes from
//! `Upload-Length` or, with `?1`, `Content-Length`; without either it is deferred (see the
//! core's `length` module for what is reserved meanwhile).

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ferry_core::{NewUpload, Session};

use super::append::{Appended, append, location, repr_digest, respond};
use super::target::{CreateQuery, target};
use super::{Interop, int_field, state_headers, upload_complete};
use crate::api_doc::{Binary, ResumableErrors, tags::RESUMABLE};
use crate::auth::Authed;
use crate::error::{ApiError, HttpError};
use crate::extract::ApiQuery;
use crate::routes::append_limit;
use crate::routes::files::content_length;
use crate::routes::tus::target::Target;
use crate::state::AppState;

/// Create a resumable upload; its first bytes, or all of them, may come along.
///
/// The target is `?path=`, or tus-style `Upload-Metadata` (`filename` with `?folder=` or a
/// `folder` key, or `path`; `md5`, `overwrite`), or a `Content-Disposition` file name in
/// `?folder=`. A name outside the home is `403 path_outside_home`; a taken one `409
/// already_exists` unless `overwrite`. Quota is reserved for the length (`Upload-Length`, or
/// `Content-Length` with `?1`); an upload of unknown length reserves up to
/// `--max-upload-size` or the quota left, and gives back the rest when its length is stated.
/// `Repr-Digest` (`md5`, `sha-256`) is verified at commit.
#[utoipa::path(
    post, path = "/api/v1/resumable/", tag = RESUMABLE, operation_id = "resumableCreate",
    params(
        CreateQuery,
        Interop,
        ("Upload-Complete" = String, Header, pattern = r"^\?[01]$", description = "`?1` when the body is the whole file, `?0` when more follows"),
        ("Upload-Length" = Option<u64>, Header, nullable = false, description = "The whole file's length (sf-integer), reserved against the quota"),
        ("Upload-Metadata" = Option<String>, Header, nullable = false, description = "tus-style target: `filename BASE64,folder BASE64` or `path BASE64`; `md5 BASE64(hex)`, `overwrite`"),
        ("Content-Disposition" = Option<String>, Header, nullable = false, description = "`inline; filename=\"…\"`: the file's name, in `?folder=`"),
        ("Repr-Digest" = Option<String>, Header, nullable = false, description = "The whole file's `md5=:…:` and/or `sha-256=:…:`, verified at commit"),
        ("Content-Digest" = Option<String>, Header, nullable = false, description = "Digest of this request's bytes"),
    ),
    request_body(content = Option<Binary>, content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Created: the upload's state; with `Upload-Complete: ?1` committed, and the body is the file's entry", body = crate::api_doc::Created, headers(
            ("Location" = String, description = "The upload resource, `/api/v1/resumable/ID`"),
            ("Upload-Offset" = u64, description = "Bytes held"),
            ("Upload-Complete" = String, description = "`?0` or `?1`"),
            ("Upload-Limit" = String, description = "`max-size`, `max-append-size` (when capped), `max-age`"),
        )),
        ResumableErrors,
    ),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    interop: Interop,
    auth: Authed,
    ApiQuery(q): ApiQuery<CreateQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let _ = interop;
    let target = target(&q, &headers)?;
    begin(&state, auth.session, target, &headers, body).await
}

/// Creates an upload to `target` and appends the request's body (see [`create`]).
pub async fn begin(
    state: &AppState,
    mut session: Session,
    target: Target,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let complete = upload_complete(headers)?;
    let declared = content_length(headers)?;
    append_limit::check_declared(&state.limits, declared)?;
    let stated = int_field(headers, "upload-length")?;
    let length = match (complete, declared, stated) {
        (true, Some(body), Some(stated)) if body != stated => {
            return Err(ferry_core::Error::LengthMismatch {
                size: stated,
                got: body,
            }
            .into());
        }
        (true, Some(body), _) => Some(body),
        (_, _, stated) => stated,
    };
    let repr = repr_digest(headers)?;
    let md5 = match (target.md5, repr.md5) {
        (Some(a), Some(b)) if a != b.to_string() => {
            return Err(HttpError::BadHeader(
                "Repr-Digest md5 differs from the md5 in Upload-Metadata".into(),
            )
            .into());
        }
        (a, b) => a.or(b.map(|m| m.to_string())),
    };
    let new = NewUpload {
        size: length,
        md5,
        sha256: repr.sha256,
        options: ferry_core::CreateOptions {
            overwrite: target.overwrite,
            parents: true,
        },
        transient: false,
    };
    let info = session.upload_create_new(&target.path, new).await?;
    let id = info.id.to_string();
    let appended = match complete || has_body(headers, declared) {
        true => append(state, &mut session, &id, 0, complete, headers, body).await,
        false => Ok(Appended::Incomplete(info.clone())),
    };
    let appended = match appended {
        Ok(a) => a,
        Err(e) => {
            match session.upload_status(&id).await.map(|i| i.offset) {
                // Nothing worth resuming, and the client may not learn the URL: leave nothing.
                Ok(0) => {
                    let _ = session.upload_cancel(&id).await;
                    return Err(e);
                }
                // Bytes worth resuming (a body cut short): the answer names the upload.
                Ok(_) => {
                    let mut resp = e.into_response();
                    let (name, value) = location(&id);
                    resp.headers_mut().insert(name, value);
                    return Ok(resp);
                }
                // Gone already (a digest mismatch discards it).
                Err(_) => return Err(e),
            }
        }
    };
    let (resp, info) = respond(session, &id, appended).await?;
    let mut resp = match complete {
        true => resp,
        false => (StatusCode::CREATED, Json(&info)).into_response(),
    };
    let h = resp.headers_mut();
    let (name, value) = location(&id);
    h.insert(name, value);
    state_headers(h, state, &info, complete);
    if !complete {
        h.remove(header::CONTENT_LOCATION);
    }
    Ok(resp)
}

/// Whether the creation request carries bytes.
fn has_body(headers: &HeaderMap, declared: Option<u64>) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING) || declared.is_some_and(|n| n > 0)
}
