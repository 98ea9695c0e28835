//! Concatenation: complete partial uploads joined into one file by a final upload.
//!
//! A part is an ordinary core upload to a fresh name under [`PARTS_DIR`](super::PARTS_DIR),
//! never committed on its last byte. `POST Upload-Concat: final;URL…` checks that every part
//! is complete, creates the target upload (reserving its size), commits each part and streams
//! its bytes into the target through the engine's one append call, removes the parts, and
//! commits the target: MD5-verified, atomic, no-replace unless asked, like every upload.
//! Server-side, the join copies each part once; the quota holds the parts and the target
//! until the parts are removed.
//!
//! The final upload is complete at creation, so its URL names the committed file
//! (`/api/v1/tus/final/PATH`): `HEAD` answers its length, `PATCH` and `DELETE` are `403`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ferry_core::model::{Entry, EntryKind};
use ferry_core::{AppendOptions, Commit, Session};
use futures::stream;
use tokio_util::io::StreamReader;
use tracing::Instrument;

use super::error::{Tus, TusError};
use super::headers::Metadata;
use super::version::TusResumable;
use super::{is_partial, target};
use crate::api_doc::{TusErrors, tags::TUS};
use crate::auth::Authed;
use crate::extract::ApiPath;
use crate::routes::{file_location, home_path};

/// The final upload's URL for the committed file at `path`.
fn final_url(path: &str) -> HeaderValue {
    let files = file_location(path);
    let rest = files.to_str().unwrap_or_default();
    let rest = rest.strip_prefix("/api/v1/files").unwrap_or_default();
    HeaderValue::from_str(&format!("/api/v1/tus/final{rest}"))
        .unwrap_or(HeaderValue::from_static("/api/v1/tus/final"))
}

/// Joins the complete parts `ids` into the target `meta` names; `201` with the final's URL.
///
/// In a task of its own: a client that leaves while the parts are being joined would
/// otherwise stop the join half-way, the parts joined so far removed and the target neither
/// committed nor cancelled.
pub async fn create_final(
    mut session: Session,
    ids: Vec<String>,
    meta: Metadata,
) -> Result<Response, Tus> {
    let join = async move { join_final(&mut session, &ids, &meta).await };
    tokio::spawn(join.instrument(tracing::Span::current()))
        .await
        .map_err(ferry_core::Error::internal)?
}

/// [`create_final`]'s work.
async fn join_final(
    session: &mut Session,
    ids: &[String],
    meta: &Metadata,
) -> Result<Response, Tus> {
    let t = target::target(meta)?;
    let mut total = 0u64;
    for id in ids {
        let info = session.upload_status(id).await?;
        if !is_partial(&info) {
            return Err(TusError::ConcatPart(format!("{id} is not a partial upload")).into());
        }
        if info.offset != info.size {
            return Err(TusError::ConcatPart(format!(
                "part {id} holds {} of {} bytes; finish it first",
                info.offset, info.size
            ))
            .into());
        }
        total = total
            .checked_add(info.size)
            .ok_or_else(|| TusError::ConcatPart("the parts are too large together".into()))?;
    }
    let info = session
        .upload_create(&t.path, total, t.md5.as_deref(), t.overwrite)
        .await?;
    let id = info.id.to_string();
    match join(session, &id, ids).await {
        Ok(entry) => {
            let mut resp = StatusCode::CREATED.into_response();
            let h = resp.headers_mut();
            h.insert(header::LOCATION, final_url(&entry.path.to_string()));
            h.insert("upload-offset", HeaderValue::from(entry.size));
            h.insert("upload-length", HeaderValue::from(entry.size));
            Ok(resp)
        }
        Err(e) => {
            // Parts already joined are gone; the target must not stay half-filled.
            let _ = session.upload_cancel(&id).await;
            Err(e)
        }
    }
}

/// Streams each part into upload `id` in order and commits it.
async fn join(session: &mut Session, id: &str, parts: &[String]) -> Result<Entry, Tus> {
    // The parts are committed into their folder before they are read; it is an ordinary
    // folder of the home, so its owner may have removed it since the parts were created.
    session.mkdir(super::PARTS_DIR, true).await?;
    let mut offset = 0;
    for part in parts {
        let commit = AppendOptions {
            commit: Commit::IfComplete { md5: None },
            ..AppendOptions::default()
        };
        let committed = session.append(part, tokio::io::empty(), commit).await?;
        let part_path = committed
            .entry
            .ok_or_else(|| TusError::ConcatPart(format!("part {part} is not complete")))?
            .path
            .to_string();
        let download = session.open_download(&part_path, 0).await?;
        let chunks = Box::pin(stream::unfold(download, |mut d| async move {
            match d.next_chunk(1 << 20).await {
                Ok(Some(b)) => Some((Ok(b), d)),
                Ok(None) => None,
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), d)),
            }
        }));
        let opts = AppendOptions {
            offset: Some(offset),
            ..AppendOptions::default()
        };
        offset = session
            .append(id, StreamReader::new(chunks), opts)
            .await?
            .info
            .offset;
        session.remove(&part_path, false).await?;
    }
    let opts = AppendOptions {
        commit: Commit::IfComplete { md5: None },
        ..AppendOptions::default()
    };
    session
        .append(id, tokio::io::empty(), opts)
        .await?
        .entry
        .ok_or_else(|| TusError::ConcatPart("the parts do not fill the upload".into()).into())
}

/// A final upload: complete, its length that of the committed file.
#[utoipa::path(
    head, path = "/api/v1/tus/final/{path}", tag = TUS, operation_id = "tusFinalHead",
    params(("path" = String, Path, description = "The committed file"), TusResumable),
    responses(
        (status = 200, description = "Complete", headers(
            ("Upload-Offset" = u64, description = "The file's size"),
            ("Upload-Length" = u64, description = "The file's size"),
        )),
        TusErrors,
    ),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn head(
    _: TusResumable,
    auth: Authed,
    ApiPath(path): ApiPath<String>,
) -> Result<Response, Tus> {
    let entry = auth.session.stat(&home_path(&path), false).await?;
    if entry.kind != EntryKind::File {
        return Err(ferry_core::Error::IsADirectory(entry.path.to_string()).into());
    }
    let mut resp = StatusCode::OK.into_response();
    let h = resp.headers_mut();
    h.insert("upload-offset", HeaderValue::from(entry.size));
    h.insert("upload-length", HeaderValue::from(entry.size));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// A final upload cannot be appended to: `403 upload_is_final`.
#[utoipa::path(
    patch, path = "/api/v1/tus/final/{path}", tag = TUS, operation_id = "tusFinalPatch",
    params(("path" = String, Path, description = "The committed file"), TusResumable),
    responses(TusErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn patch(_: TusResumable, _: Authed) -> Tus {
    TusError::FinalUpload.into()
}

/// A final upload cannot be terminated (delete the file instead): `403 upload_is_final`.
#[utoipa::path(
    delete, path = "/api/v1/tus/final/{path}", tag = TUS, operation_id = "tusFinalDelete",
    params(("path" = String, Path, description = "The committed file"), TusResumable),
    responses(TusErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn delete(_: TusResumable, _: Authed) -> Tus {
    TusError::FinalUpload.into()
}
