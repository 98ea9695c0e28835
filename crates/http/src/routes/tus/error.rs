//! The tus door's own causes and its one status table: tus answers some core codes with its
//! own statuses (`460` for a chunk checksum mismatch), and every error it sends carries
//! `Tus-Resumable` (a `412` also `Tus-Version`). The body stays the gateway's RFC 9457 problem
//! with the same stable `code` as every other door.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::error::{ApiError, HttpError};

/// The tus protocol version this server speaks.
pub const VERSION: &str = "1.0.0";

/// Causes that exist only in the tus dialect.
#[derive(Debug, thiserror::Error)]
pub enum TusError {
    /// `Tus-Resumable` is missing or names a version other than 1.0.0.
    #[error("this server speaks tus {VERSION}; the request said {0:?}")]
    Version(String),
    /// `Upload-Metadata` is malformed or names no usable target.
    #[error("Upload-Metadata: {0}")]
    Metadata(String),
    /// `Upload-Checksum` names an algorithm the server does not offer.
    #[error("checksum algorithm {0:?} is not supported (sha1, sha256, md5, crc32 are)")]
    ChecksumAlgorithm(String),
    /// `Upload-Checksum` is not `ALGORITHM BASE64` of the algorithm's length.
    #[error("Upload-Checksum: {0}")]
    Checksum(String),
    /// A `PATCH` body that is not `application/offset+octet-stream`.
    #[error("a PATCH body must be Content-Type: application/offset+octet-stream")]
    ContentType,
    /// A `PATCH` (or `DELETE`) to a final concatenated upload, which is complete by definition.
    #[error("a final concatenated upload cannot be changed")]
    FinalUpload,
    /// `Upload-Concat: final;…` naming something that is not a complete partial upload.
    #[error("Upload-Concat: {0}")]
    ConcatPart(String),
}

impl TusError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            TusError::Version(_) => "tus_version_unsupported",
            TusError::Metadata(_) => "bad_metadata",
            TusError::ChecksumAlgorithm(_) => "checksum_algorithm_unsupported",
            TusError::Checksum(_) => "bad_checksum",
            TusError::ContentType => "unsupported_media_type",
            TusError::FinalUpload => "upload_is_final",
            TusError::ConcatPart(_) => "concat_part_invalid",
        }
    }

    /// The HTTP status the tus specification gives the cause.
    pub fn status(&self) -> StatusCode {
        match self {
            TusError::Version(_) => StatusCode::PRECONDITION_FAILED,
            TusError::Metadata(_)
            | TusError::ChecksumAlgorithm(_)
            | TusError::Checksum(_)
            | TusError::ConcatPart(_) => StatusCode::BAD_REQUEST,
            TusError::ContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            TusError::FinalUpload => StatusCode::FORBIDDEN,
        }
    }
}

/// tus's `460 Checksum Mismatch` (not a registered HTTP status, hence built by number).
fn checksum_mismatch() -> StatusCode {
    StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST)
}

/// Where tus answers a shared code with a status of its own.
fn tus_status(code: &str) -> Option<(StatusCode, &'static str)> {
    match code {
        "chunk_checksum_mismatch" => Some((checksum_mismatch(), "Checksum Mismatch")),
        _ => None,
    }
}

/// An error answered in the tus dialect: every tus handler returns `Result<_, Tus>`.
#[derive(Debug)]
pub struct Tus(pub ApiError);

impl<E: Into<ApiError>> From<E> for Tus {
    fn from(e: E) -> Self {
        Tus(e.into())
    }
}

impl From<TusError> for ApiError {
    fn from(e: TusError) -> Self {
        ApiError::Http(HttpError::Tus(e))
    }
}

impl IntoResponse for Tus {
    fn into_response(self) -> Response {
        let own = tus_status(self.0.code());
        let problem = own.map(|(status, title)| {
            let mut p = self.0.problem();
            p.status = status.as_u16();
            p.title = title.into();
            p
        });
        let mut resp = self.0.into_response();
        if let (Some((status, _)), Some(p)) = (own, problem)
            && let Ok(body) = serde_json::to_vec(&p)
        {
            *resp.status_mut() = status;
            resp.headers_mut().remove(header::CONTENT_LENGTH);
            *resp.body_mut() = Body::from(body);
        }
        let h = resp.headers_mut();
        h.insert("tus-resumable", HeaderValue::from_static(VERSION));
        if resp.status() == StatusCode::PRECONDITION_FAILED {
            resp.headers_mut()
                .insert("tus-version", HeaderValue::from_static(VERSION));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_checksum_mismatch_is_460_with_the_same_code() {
        let resp = Tus(ferry_core::Error::ChunkChecksumMismatch.into()).into_response();
        assert_eq!(resp.status().as_u16(), 460);
        assert_eq!(resp.headers()["tus-resumable"], VERSION);
    }

    #[test]
    fn a_wrong_version_is_412_and_names_the_version_spoken() {
        let resp = Tus(TusError::Version("0.2.2".into()).into()).into_response();
        assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);
        assert_eq!(resp.headers()["tus-version"], VERSION);
    }
}
