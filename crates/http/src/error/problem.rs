//! The body and headers of an error response: an RFC 9457 problem carrying the stable
//! `code`, with machine-readable details as extension members and in the headers that
//! clients read them from (`Retry-After`, `Upload-Offset`, `Content-Range`).

use axum::Json;
use axum::response::{IntoResponse, Response};
use ferry_core::Error;
use http::{HeaderValue, header};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, HttpError};

/// RFC 9457 problem details, with Ferry's stable `code` and any machine-readable details
/// (`offset`, `retry_after`, …) as extension members.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `about:blank`, or for the three causes the resumable-upload draft registers their IANA
    /// problem type (`…#mismatching-upload-offset`, `…#inconsistent-upload-length`,
    /// `…#completed-upload`); the `code` member is the machine-readable type either way.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, for people.
    pub detail: String,
    /// Stable snake_case code, the same on both doors (`offset_mismatch`, `quota_exceeded`…).
    #[schema(example = "offset_mismatch")]
    pub code: String,
    /// Bytes the server holds (`offset_mismatch`, `upload_incomplete`, `body_exceeds_range`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Seconds to wait (`auth_throttled`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Other details of the cause.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    /// The problem document sent for this error.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let mut extra = match self {
            ApiError::Core(e) => e.details().unwrap_or_default(),
            ApiError::Http(e) => e
                .details()
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default(),
        };
        let offset = extra.remove("offset").and_then(|v| v.as_u64());
        let retry_after = extra.remove("retry_after").and_then(|v| v.as_u64());
        if let ApiError::Core(Error::OffsetMismatch { expected, got }) = self {
            extra.insert("expected-offset".into(), (*expected).into());
            extra.insert("provided-offset".into(), (*got).into());
        }
        let (kind, title) = match problem_type(self.code()) {
            Some((kind, title)) => (kind.to_string(), title.to_string()),
            None => (
                "about:blank".to_string(),
                status.canonical_reason().unwrap_or("Error").to_string(),
            ),
        };
        Problem {
            kind,
            title,
            status: status.as_u16(),
            detail: self.to_string(),
            code: self.code().into(),
            offset,
            retry_after,
            extra,
        }
    }
}

/// The IANA problem types of the resumable-upload draft, by the code of the same cause, with
/// their registered titles. Every dialect answers them so, not only the draft's.
fn problem_type(code: &str) -> Option<(&'static str, &'static str)> {
    Some(match code {
        "offset_mismatch" => (
            "https://iana.org/assignments/http-problem-types#mismatching-upload-offset",
            "Mismatching Upload Offset",
        ),
        "size_mismatch" => (
            "https://iana.org/assignments/http-problem-types#inconsistent-upload-length",
            "Inconsistent Upload Length Values",
        ),
        "upload_completed" => (
            "https://iana.org/assignments/http-problem-types#completed-upload",
            "Upload Is Completed",
        ),
        _ => return None,
    })
}

impl HttpError {
    fn details(&self) -> Option<serde_json::Value> {
        use serde_json::json;
        Some(match self {
            HttpError::RangeLength { expected, got } => json!({"expected": expected, "got": got}),
            HttpError::BodyExceedsRange { kept, offset } => json!({"kept": kept, "offset": offset}),
            HttpError::ChunkTooLarge { max } => json!({"max": max}),
            HttpError::HeadTooLarge { max } => json!({"max": max}),
            HttpError::Unsatisfiable { size } => json!({"size": size}),
            HttpError::BodyIncomplete { received } => json!({"received": received}),
            _ => return None,
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Core(Error::Internal(source)) = &self {
            tracing::error!(error = ?source, "internal error");
        }
        let problem = self.problem();
        let mut resp = (self.status(), Json(&problem)).into_response();
        resp.extensions_mut().insert(super::ErrorCode(self.code()));
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = problem.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if problem.status == 401 {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"ferry\", Bearer realm=\"ferry\""),
            );
        }
        if let ApiError::Http(HttpError::Unsatisfiable { size }) = &self
            && let Ok(v) = HeaderValue::from_str(&crate::headers::format_unsatisfied(*size))
        {
            h.insert(header::CONTENT_RANGE, v);
        }
        if let Some(offset) = problem.offset {
            h.insert("upload-offset", HeaderValue::from(offset));
        }
        // A 413 caused by an upload limit names the limit (the resumable-upload draft's rule).
        let limit = match &self {
            ApiError::Http(HttpError::ChunkTooLarge { max }) => Some(("max-append-size", *max)),
            ApiError::Core(Error::UploadTooLarge { max, .. }) => Some(("max-size", *max)),
            _ => None,
        };
        if let Some((key, max)) = limit
            && let Ok(v) = HeaderValue::from_str(&format!("{key}={max}"))
        {
            h.insert("upload-limit", v);
        }
        resp
    }
}
