//! The table from stable codes to HTTP statuses: the whole HTTP meaning of every cause, core
//! or HTTP-only, in one place.

use ferry_core::Error;
use http::StatusCode;

use super::{ApiError, HttpError};

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
}

impl HttpError {
    pub(super) fn code(&self) -> &'static str {
        match self {
            HttpError::Unauthenticated => "not_authenticated",
            HttpError::Range(e) => e.code(),
            HttpError::Digest(e) => e.code(),
            HttpError::BadHeader(_) => "bad_header",
            HttpError::BadBody(_) => "bad_request",
            HttpError::BodyTooLarge => "body_too_large",
            HttpError::CrossOrigin => "cross_origin_refused",
            HttpError::LengthRequired => "length_required",
            HttpError::RangeLength { .. } => "range_length_mismatch",
            HttpError::BodyExceedsRange { .. } => "body_exceeds_range",
            HttpError::ChunkTooLarge { .. } => "chunk_too_large",
            HttpError::PreconditionFailed(_) => "precondition_failed",
            HttpError::BodyTimeout(_) => "body_timeout",
            HttpError::BodyIncomplete { .. } => "body_incomplete",
            HttpError::Unsatisfiable { .. } => "range_not_satisfiable",
            HttpError::HeadTooLarge { .. } => "header_too_large",
            HttpError::TlsRequired => "tls_required",
            HttpError::NoRoute => "no_route",
            HttpError::MethodNotAllowed => "method_not_allowed",
            HttpError::Panic => "internal",
            HttpError::InteropVersion(_) => "interop_version_unsupported",
            HttpError::MediaType(_) => "unsupported_media_type",
            HttpError::DigestAlgorithm(_) => "checksum_algorithm_unsupported",
            HttpError::Tus(e) => e.code(),
        }
    }

    pub(super) fn status(&self) -> StatusCode {
        match self {
            HttpError::Unauthenticated => StatusCode::UNAUTHORIZED,
            HttpError::Range(_)
            | HttpError::Digest(_)
            | HttpError::BadHeader(_)
            | HttpError::BadBody(_)
            | HttpError::InteropVersion(_)
            | HttpError::DigestAlgorithm(_)
            | HttpError::RangeLength { .. }
            | HttpError::TlsRequired
            | HttpError::BodyIncomplete { .. } => StatusCode::BAD_REQUEST,
            HttpError::LengthRequired => StatusCode::LENGTH_REQUIRED,
            HttpError::MediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            HttpError::CrossOrigin => StatusCode::FORBIDDEN,
            HttpError::BodyExceedsRange { .. }
            | HttpError::ChunkTooLarge { .. }
            | HttpError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            HttpError::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            HttpError::Unsatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            HttpError::HeadTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            HttpError::NoRoute => StatusCode::NOT_FOUND,
            HttpError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::Panic => StatusCode::INTERNAL_SERVER_ERROR,
            HttpError::Tus(e) => e.status(),
        }
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
        | Error::InvalidSearchPattern(_)
        | Error::InvalidSearchCursor(_)
        | Error::Md5Required
        | Error::UploadCompleted(_)
        | Error::LengthMismatch { .. }
        | Error::ChunkChecksumMismatch => S::BAD_REQUEST,
        Error::NotAuthenticated
        | Error::AuthFailed
        | Error::TokenInvalid
        | Error::SharePasswordRequired => S::UNAUTHORIZED,
        Error::AuthThrottled { .. } | Error::LimitReached(_) => S::TOO_MANY_REQUESTS,
        Error::PathOutsideHome
        | Error::HomeImmutable
        | Error::SpecialFile(_)
        | Error::ExecDenied(_)
        | Error::ExecArgumentRefused(_)
        | Error::NotAdmin
        | Error::WrongPassword
        | Error::SharePasswordWrong
        | Error::ShareRefused(_) => S::FORBIDDEN,
        Error::NotFound(_)
        | Error::UserNotFound(_)
        | Error::UploadNotFound(_)
        | Error::ExecNotFound(_)
        | Error::ShareNotFound => S::NOT_FOUND,
        Error::ShareRevoked | Error::ShareExpired | Error::ShareExhausted => S::GONE,
        Error::UserExists(_)
        | Error::AlreadyExists(_)
        | Error::NotADirectory(_)
        | Error::IsADirectory(_)
        | Error::DirectoryNotEmpty(_)
        | Error::UploadBusy(_)
        | Error::UploadSuperseded(_)
        | Error::OffsetMismatch { .. }
        | Error::UploadIncomplete { .. } => S::CONFLICT,
        Error::SizeExceeded { .. } | Error::QuotaExceeded { .. } | Error::UploadTooLarge { .. } => {
            S::PAYLOAD_TOO_LARGE
        }
        Error::ChecksumMismatch { .. } => S::UNPROCESSABLE_ENTITY,
        Error::DiskFull => S::INSUFFICIENT_STORAGE,
        Error::StoreUnavailable(_) => S::SERVICE_UNAVAILABLE,
        Error::Internal(_) => S::INTERNAL_SERVER_ERROR,
    }
}
