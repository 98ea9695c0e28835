//! The one place errors become HTTP responses: RFC 9457 `application/problem+json` carrying the
//! same stable `code` as the TCP door.
//!
//! Core errors keep their codes; [`HttpError`] adds the few causes that exist only in HTTP
//! (headers, ranges, bodies). Handlers return `Result<_, ApiError>` and never build an error
//! response themselves.
//!
//! - `status`: each code's HTTP status, the one table of them;
//! - `problem`: the `application/problem+json` body ([`Problem`]) and its headers.

use ferry_core::Error;

use crate::headers::{DigestError, RangeError};

mod problem;
mod status;

pub use problem::Problem;

/// The stable code of an error response, in its extensions: what the request metrics label
/// it with ([`crate::metrics`]).
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

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
    /// A state-changing request with Basic credentials sent from another origin: a browser
    /// replays cached Basic credentials on a forged cross-site form, so they are refused.
    #[error("Basic credentials on a state-changing request from another origin are refused")]
    CrossOrigin,
    /// A JSON body past the server's cap for JSON bodies (`Limits::max_json`).
    #[error("the JSON body is larger than this server accepts")]
    BodyTooLarge,
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
    /// The request body broke off: the client went away or its framing was wrong. What was
    /// received of an upload is kept (a whole-file PUT is discarded).
    #[error("the request body ended after {received} bytes, before its end")]
    BodyIncomplete {
        /// Body bytes received before it broke off.
        received: u64,
    },
    /// The request line and headers exceed the server's limit.
    #[error("the request head is larger than {max} bytes")]
    HeadTooLarge {
        /// The limit.
        max: usize,
    },
    /// Plain HTTP sent to a port that speaks HTTPS: answered in plain text so the client can
    /// read why, then the connection is closed.
    #[error("this port speaks HTTPS: send the request again with https://")]
    TlsRequired,
    /// No such route.
    #[error("no such route")]
    NoRoute,
    /// The route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A handler panicked; the cause is logged.
    #[error("internal error")]
    Panic,
    /// An `Upload-Draft-Interop-Version` this server does not speak.
    #[error("{0}")]
    InteropVersion(String),
    /// A body whose media type the route does not take (`application/partial-upload`).
    #[error("{0}")]
    MediaType(String),
    /// A digest field naming only algorithms the server does not verify.
    #[error("{0}")]
    DigestAlgorithm(String),
    /// A cause of the tus dialect (`/api/v1/tus/`), with its own code and status.
    #[error(transparent)]
    Tus(#[from] crate::routes::tus::TusError),
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
