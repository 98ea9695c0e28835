//! Building a download response: validators, conditional requests, one byte range, and a body
//! streamed from the core in bounded chunks (memory stays flat whatever the file size).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use ferry_core::model::Entry;
use ferry_core::{Download, Session};
use http::header;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::{ApiError, HttpError};
use crate::headers::{
    RangeRequest, content_md5, etag_for_md5, format_content_range, format_md5_digest,
    if_none_match_matches, if_range_matches, parse_range,
};
use crate::routes::preconditions;

/// Legacy whole-body MD5 header (RFC 1864); sent on full responses only.
const CONTENT_MD5: header::HeaderName = header::HeaderName::from_static("content-md5");

/// Bytes read from the file per body chunk.
const CHUNK: usize = 256 * 1024;

/// GET sends the body; HEAD only the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// With body.
    Get,
    /// Headers only.
    Head,
}

/// The whole download decision for `path`.
pub async fn respond(
    session: &Session,
    path: &str,
    req: &HeaderMap,
    method: Method,
) -> Result<Response, ApiError> {
    let first = session.open_download(path, 0).await?;
    let reopen = |offset| session.open_download(path, offset);
    Ok(respond_with(first, reopen, req, method).await?.0)
}

/// The download decision for a file opened at 0 (`first`), reopened by `reopen` when a range
/// starts later. Also says whether the answer sends the file from its first byte (a `GET`
/// with a body from offset 0): a new download, as share links count them.
pub async fn respond_with<F, Fut>(
    first: Download,
    reopen: F,
    req: &HeaderMap,
    method: Method,
) -> Result<(Response, bool), ApiError>
where
    F: FnOnce(u64) -> Fut,
    Fut: Future<Output = Result<Download, ferry_core::Error>>,
{
    let mut download = first;
    let entry = download.entry.clone();
    let md5 = download.md5();
    let etag = etag_for_md5(&md5.to_string());
    let mut headers = file_headers(&entry, &etag, &md5.0);

    preconditions::check_read(req, &entry, &etag)?;
    let text = |name| req.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if text(header::IF_NONE_MATCH).is_some_and(|v| if_none_match_matches(v, &etag)) {
        return Ok((
            build(StatusCode::NOT_MODIFIED, headers, Body::empty()),
            false,
        ));
    }
    let range = match text(header::IF_RANGE) {
        Some(v) if !if_range_matches(v, &etag) => RangeRequest::Full,
        _ => parse_range(text(header::RANGE), entry.size),
    };
    let (status, start, len) = match range {
        RangeRequest::Full => (StatusCode::OK, 0, entry.size),
        RangeRequest::Partial { start, end } => {
            headers.insert(
                header::CONTENT_RANGE,
                value(&format_content_range(start, end, entry.size)),
            );
            headers.remove(CONTENT_MD5);
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        RangeRequest::Unsatisfiable => {
            return Err(HttpError::Unsatisfiable { size: entry.size }.into());
        }
    };
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    let fresh = method == Method::Get && start == 0;
    if method == Method::Head || len == 0 {
        return Ok((build(status, headers, Body::empty()), fresh));
    }
    if let Some(whole) = download.whole() {
        // A small file was read whole at open: one full body, so hyper writes the headers and
        // the bytes together, and a range is a slice of the same version (no second open).
        let (from, to) = (start as usize, (start + len) as usize);
        let body = Body::from(whole.slice(from..to));
        return Ok((build(status, headers, body), fresh));
    }
    if start > 0 {
        // Reopen at the start of the range; the ETag check keeps the two opens on one version.
        download = reopen(start).await?;
        if download.md5() != md5 {
            return Err(
                HttpError::PreconditionFailed("the file changed while opening".into()).into(),
            );
        }
    }
    let body = futures::stream::unfold((download, len), |(mut d, left)| async move {
        if left == 0 {
            return None;
        }
        match d.next_chunk(CHUNK.min(left as usize)).await {
            Ok(Some(b)) => {
                let left = left - b.len() as u64;
                Some((Ok(b), (d, left)))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "download stopped");
                Some((Err(std::io::Error::other(e.to_string())), (d, 0)))
            }
        }
    });
    Ok((build(status, headers, Body::from_stream(body)), fresh))
}

fn file_headers(entry: &Entry, etag: &str, md5: &[u8; 16]) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(header::ETAG, value(etag));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert("repr-digest", value(&format_md5_digest(md5)));
    h.insert(CONTENT_MD5, value(&content_md5(md5)));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        value(&content_disposition(&entry.name)),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    let modified =
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(entry.modified.max(0) as u64);
    h.insert(
        header::LAST_MODIFIED,
        value(&httpdate::fmt_http_date(modified)),
    );
    h
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266): the ASCII
/// fallback replaces anything unsafe, the starred form keeps the real name.
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = utf8_percent_encode(name, ATTR_CHAR);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// Everything but RFC 8187 `attr-char` is escaped in `filename*`.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

fn value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

fn build(status: StatusCode, headers: HeaderMap, body: Body) -> Response {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    resp
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn content_disposition_keeps_the_real_name_percent_encoded_beside_an_ascii_fallback() {
        assert_eq!(
            content_disposition("naïve file%.txt"),
            "attachment; filename=\"na_ve file_.txt\"; filename*=UTF-8''na%C3%AFve%20file%25.txt"
        );
        assert_eq!(
            content_disposition("a!#$&+-.^_`|~\"b"),
            "attachment; filename=\"a!#$&+-.^_`|~_b\"; filename*=UTF-8''a!#$&+-.^_`|~%22b"
        );
    }
}
