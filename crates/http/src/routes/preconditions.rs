//! The preconditions of RFC 9110 §13.1.1 and §13.1.4 — `If-Match` and `If-Unmodified-Since` —
//! for the file routes: a client that edits the version it read says so, and a write or
//! delete over a version it never saw gets `412 precondition_failed` instead of silently
//! replacing another writer's bytes.
//!
//! Order as the RFC's §13.2.2: `If-Match` first; `If-Unmodified-Since` only without it (a date
//! that does not parse is ignored, as the RFC requires). `If-None-Match` and `If-Range` are
//! the download's own business (`download::respond_with`); `If-None-Match: *` on `PUT` is the
//! no-replace flag.
//!
//! A write is checked when its request arrives, before the body is read, so a stale `PUT` is
//! refused without sending its bytes. The commit does not check again: two writers that pass
//! the check at the same moment both proceed (the last commit wins, whole, never mixed). What
//! the check catches is the lost update of a client working from an old copy.

use axum::http::{HeaderMap, HeaderValue};
use ferry_core::model::{Entry, EntryKind};
use ferry_core::{Error, Session};
use http::header;

use crate::error::{ApiError, HttpError};
use crate::headers::{etag_for_md5, if_match_matches};

/// Checks a download's preconditions against the version being served: `etag` is its tag.
pub fn check_read(headers: &HeaderMap, entry: &Entry, etag: &str) -> Result<(), ApiError> {
    check(headers, Some(entry), Some(etag), &entry.path.to_string())
}

/// Checks a write's or a delete's preconditions against what is at `path` now. Without either
/// header nothing is looked up.
pub async fn check_write(
    session: &Session,
    path: &str,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    if !headers.contains_key(header::IF_MATCH) && !headers.contains_key(header::IF_UNMODIFIED_SINCE)
    {
        return Ok(());
    }
    let digest = headers.contains_key(header::IF_MATCH);
    let entry = match session.stat(path, digest).await {
        Ok(entry) => Some(entry),
        Err(Error::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    // Only a file has a tag; a folder still has its modification time.
    let etag = entry.as_ref().and_then(|e| {
        let md5 = e.md5.as_ref().filter(|_| e.kind == EntryKind::File)?;
        Some(etag_for_md5(&md5.to_string()))
    });
    check(headers, entry.as_ref(), etag.as_deref(), path)
}

/// `entry`: what is there now (`None`: nothing); `etag`: its tag, if it is a file.
fn check(
    headers: &HeaderMap,
    entry: Option<&Entry>,
    etag: Option<&str>,
    path: &str,
) -> Result<(), ApiError> {
    let text = |v: &HeaderValue| v.to_str().unwrap_or_default().to_string();
    if let Some(value) = headers.get(header::IF_MATCH).map(text) {
        return match etag {
            Some(etag) if if_match_matches(&value, etag) => Ok(()),
            Some(etag) => Err(refused(format!(
                "If-Match: {path} has changed, its ETag is now {etag}"
            ))),
            None => Err(refused(format!("If-Match: there is no file at {path}"))),
        };
    }
    let Some(since) = headers
        .get(header::IF_UNMODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
    else {
        return Ok(());
    };
    let since = since
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(i64::MIN, |d| d.as_secs() as i64);
    match entry {
        Some(entry) if entry.modified <= since => Ok(()),
        Some(_) => Err(refused(format!(
            "If-Unmodified-Since: {path} was modified after that date"
        ))),
        None => Err(refused(format!(
            "If-Unmodified-Since: there is nothing at {path}"
        ))),
    }
}

fn refused(detail: String) -> ApiError {
    HttpError::PreconditionFailed(detail).into()
}
