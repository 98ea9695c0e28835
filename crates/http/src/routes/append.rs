//! The half of an append and of a `HEAD` that every resumable dialect shares (tus and the
//! IETF draft): a dialect reads its own headers into [`AppendOptions`], calls [`body`], and
//! maps the [`UploadState`] it gets back to its own answer; a `HEAD` asks [`latest`] and
//! answers in its own headers.

use axum::body::Body;
use ferry_core::model::UploadInfo;
use ferry_core::{AppendOptions, Error, Session, UploadState};

use crate::body::{self, BodyProbe};
use crate::error::ApiError;
use crate::routes::append_limit;
use crate::state::AppState;

/// Streams `body` into upload `id` through the engine's one append call, as `opts` says,
/// read up to the per-request cap ([`append_limit`]). The engine owns the append: a commit
/// `opts` asks for goes on even if the client leaves right after its last byte. A body that
/// broke off is logged with the bytes kept and answers `body_incomplete` (`body_timeout`
/// after a stall); every byte that arrived is kept unless a chunk digest refused them.
pub async fn body(
    state: &AppState,
    session: &mut Session,
    id: &str,
    opts: AppendOptions,
    body: Body,
) -> Result<UploadState, ApiError> {
    let idle = state.limits.body_idle_timeout;
    let probe = BodyProbe::default();
    let reader = body::reader(body, idle, probe.clone());
    let reader = append_limit::capped(&state.limits, reader);
    let (appended, reader) = match session.append_owned(id, reader, opts).await {
        Ok(appended) => appended,
        Err(e) => {
            if probe.broken() {
                let kept = session.upload_status(id).await.ok().map(|i| i.offset);
                probe.log_disconnect(kept);
            }
            return Err(probe.explain(idle, e));
        }
    };
    append_limit::check_rest(&state.limits, reader).await?;
    Ok(appended)
}

/// Upload `id` as it stands, after ending an older request still writing it (newer request
/// wins), so the offset covers every byte that request received. An upload committed lately
/// answers with its whole length held and `true`.
pub async fn latest(session: &mut Session, id: &str) -> Result<(UploadInfo, bool), Error> {
    match session.upload_status_latest(id).await {
        Ok(info) => Ok((info, false)),
        Err(Error::UploadNotFound(e)) => match session.upload_completed(id) {
            Some(info) => Ok((info, true)),
            None => Err(Error::UploadNotFound(e)),
        },
        Err(e) => Err(e),
    }
}
