//! The one place errors become HTTP responses: RFC 9457 `application/problem+json` carrying the
//! same stable `code` as the TCP door.
//!
//! Core errors keep their codes; [`HttpError`] adds the few causes that exist only in HTTP
//! (headers, ranges, bodies). Handlers return `Result<_, ApiError>` and never build an error
//! response themselves.

use axum::Json;
use axum::response::{IntoResponse, Response};
use ferry_core::Error;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use utoipa::ToSchema;

use crate::headers::{DigestError, RangeError};

/// Causes that only HTTP has.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// No credentials on a route that needs them.
    #[error("credentials required: HTTP Basic or a bearer token from /api/v1/login")]
    Unauthenticated,
    /// A `Content-Range` that cannot be used.
    #[error(transparent)]
    Range(#[from] RangeError),
    /// A digest header that cannot be parsed.
    #[error(transparent)]
    Digest(#[from] DigestError),
    /// A header Ferry needs is missing or malformed.
    #[error("{0}")]
    BadHeader(String),
    /// A body the route cannot parse (JSON, query string).
    #[error("{0}")]
    BadBody(String),
    /// `PUT` without a `Content-Length`.
    #[error("Content-Length is required so the server can reserve space and verify the end")]
    LengthRequired,
    /// The body and the range it claims disagree in length.
    #[error("the body has {got} bytes but the Content-Range names {expected}")]
    RangeLength {
        /// Bytes the range names.
        expected: u64,
        /// Bytes the body holds.
        got: u64,
    },
    /// The body is longer than its range; the in-range bytes were kept.
    #[error("the body is longer than its Content-Range; the {kept} bytes in range were kept")]
    BodyExceedsRange {
        /// Bytes kept.
        kept: u64,
        /// The upload's offset now.
        offset: u64,
    },
    /// A chunk larger than the server accepts in one request.
    #[error("a chunk may hold at most {max} bytes")]
    ChunkTooLarge {
        /// The limit.
        max: u64,
    },
    /// The `Content-Range` total differs from the upload's declared size.
    #[error("the range total {got} differs from the upload's size {size}")]
    SizeMismatch {
        /// Declared size.
        size: u64,
        /// Total in the request.
        got: u64,
    },
    /// A conditional request whose condition failed (`If-None-Match: *` on an existing file).
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// A `Range` no byte of the file satisfies.
    #[error("the range is outside the file ({size} bytes)")]
    Unsatisfiable {
        /// File size.
        size: u64,
    },
    /// The client sent nothing for too long.
    #[error("the request body stalled for more than {0} s")]
    BodyTimeout(u64),
    /// The request line and headers exceed the server's limit.
    #[error("the request head is larger than {max} bytes")]
    HeadTooLarge {
        /// The limit.
        max: usize,
    },
    /// No such route.
    #[error("no such route")]
    NoRoute,
    /// The route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A handler panicked; the cause is logged.
    #[error("internal error")]
    Panic,
}

impl HttpError {
    fn code(&self) -> &'static str {
        match self {
            HttpError::Unauthenticated => "not_authenticated",
            HttpError::Range(e) => e.code(),
            HttpError::Digest(e) => e.code(),
            HttpError::BadHeader(_) => "bad_header",
            HttpError::BadBody(_) => "bad_request",
            HttpError::LengthRequired => "length_required",
            HttpError::RangeLength { .. } => "range_length_mismatch",
            HttpError::BodyExceedsRange { .. } => "body_exceeds_range",
            HttpError::ChunkTooLarge { .. } => "chunk_too_large",
            HttpError::SizeMismatch { .. } => "size_mismatch",
            HttpError::PreconditionFailed(_) => "precondition_failed",
            HttpError::BodyTimeout(_) => "body_timeout",
            HttpError::Unsatisfiable { .. } => "range_not_satisfiable",
            HttpError::HeadTooLarge { .. } => "header_too_large",
            HttpError::NoRoute => "no_route",
            HttpError::MethodNotAllowed => "method_not_allowed",
            HttpError::Panic => "internal",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            HttpError::Unauthenticated => StatusCode::UNAUTHORIZED,
            HttpError::Range(_)
            | HttpError::Digest(_)
            | HttpError::BadHeader(_)
            | HttpError::BadBody(_)
            | HttpError::RangeLength { .. }
            | HttpError::SizeMismatch { .. } => StatusCode::BAD_REQUEST,
            HttpError::LengthRequired => StatusCode::LENGTH_REQUIRED,
            HttpError::BodyExceedsRange { .. } | HttpError::ChunkTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            HttpError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            HttpError::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            HttpError::Unsatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            HttpError::HeadTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            HttpError::NoRoute => StatusCode::NOT_FOUND,
            HttpError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::Panic => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn details(&self) -> Option<serde_json::Value> {
        use serde_json::json;
        Some(match self {
            HttpError::RangeLength { expected, got } => json!({"expected": expected, "got": got}),
            HttpError::BodyExceedsRange { kept, offset } => json!({"kept": kept, "offset": offset}),
            HttpError::ChunkTooLarge { max } => json!({"max": max}),
            HttpError::HeadTooLarge { max } => json!({"max": max}),
            HttpError::SizeMismatch { size, got } => json!({"size": size, "got": got}),
            HttpError::Unsatisfiable { size } => json!({"size": size}),
            _ => return None,
        })
    }
}

/// Every error a route can return.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// From the core service: the same code as the TCP door.
    #[error(transparent)]
    Core(#[from] Error),
    /// HTTP-only causes.
    #[error(transparent)]
    Http(#[from] HttpError),
}

impl From<RangeError> for ApiError {
    fn from(e: RangeError) -> Self {
        ApiError::Http(HttpError::Range(e))
    }
}

impl From<DigestError> for ApiError {
    fn from(e: DigestError) -> Self {
        ApiError::Http(HttpError::Digest(e))
    }
}

/// The status of each core error code: the whole HTTP meaning of the core's causes.
fn core_status(e: &Error) -> StatusCode {
    use StatusCode as S;
    match e {
        Error::BadRequest(_)
        | Error::UnsupportedVersion(_)
        | Error::InvalidUsername(_)
        | Error::InvalidPath(_)
        | Error::Md5Required
        | Error::ChunkChecksumMismatch => S::BAD_REQUEST,
        Error::NotAuthenticated | Error::AuthFailed | Error::TokenInvalid => S::UNAUTHORIZED,
        Error::AuthThrottled { .. } | Error::LimitReached(_) => S::TOO_MANY_REQUESTS,
        Error::PathOutsideHome
        | Error::HomeImmutable
        | Error::SpecialFile(_)
        | Error::ExecDenied(_) => S::FORBIDDEN,
        Error::NotFound(_)
        | Error::UserNotFound(_)
        | Error::UploadNotFound(_)
        | Error::ExecNotFound(_) => S::NOT_FOUND,
        Error::UserExists(_)
        | Error::AlreadyExists(_)
        | Error::NotADirectory(_)
        | Error::IsADirectory(_)
        | Error::DirectoryNotEmpty(_)
        | Error::UploadBusy(_)
        | Error::OffsetMismatch { .. }
        | Error::UploadIncomplete { .. } => S::CONFLICT,
        Error::SizeExceeded { .. } | Error::QuotaExceeded { .. } | Error::UploadTooLarge { .. } => {
            S::PAYLOAD_TOO_LARGE
        }
        Error::ChecksumMismatch { .. } => S::UNPROCESSABLE_ENTITY,
        Error::DiskFull => S::INSUFFICIENT_STORAGE,
        Error::Internal(_) => S::INTERNAL_SERVER_ERROR,
    }
}

/// RFC 9457 problem details, with Ferry's stable `code` and any machine-readable details
/// (`offset`, `retry_after`, …) as extension members.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the `code` member is the machine-readable type.
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
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Core(e) => e.code(),
            ApiError::Http(e) => e.code(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Core(e) => core_status(e),
            ApiError::Http(e) => e.status(),
        }
    }

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
        Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: self.to_string(),
            code: self.code().into(),
            offset,
            retry_after,
            extra,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Core(Error::Internal(source)) = &self {
            tracing::error!(error = ?source, "internal error");
        }
        let problem = self.problem();
        let mut resp = (self.status(), Json(&problem)).into_response();
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
        resp
    }
}
