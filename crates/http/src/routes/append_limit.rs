//! The per-request cap on a body appended to an upload ([`Limits::max_chunk`]), the same in
//! every dialect (Content-Range, tus, the IETF draft): a request that declares more is refused
//! before its body is read, so a client that sent `Expect: 100-continue` gets the problem
//! instead of `100 Continue` and sends nothing; a body of unknown length is read up to the cap
//! and refused past it, the bytes up to the cap kept.

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::error::HttpError;
use crate::state::Limits;

/// `chunk_too_large` when a request declares a body past the cap.
pub fn check_declared(limits: &Limits, declared: Option<u64>) -> Result<(), HttpError> {
    match (limits.max_chunk, declared) {
        (Some(max), Some(len)) if len > max => Err(HttpError::ChunkTooLarge { max }),
        _ => Ok(()),
    }
}

/// At most the cap of `reader` (all of it without one).
pub fn capped<R: AsyncRead + Unpin>(limits: &Limits, reader: R) -> tokio::io::Take<R> {
    reader.take(limits.max_chunk.unwrap_or(u64::MAX))
}

/// `chunk_too_large` when the body still has bytes after the cap was read.
pub async fn check_rest<R: AsyncRead + Unpin>(
    limits: &Limits,
    capped: tokio::io::Take<R>,
) -> Result<(), HttpError> {
    let Some(max) = limits.max_chunk else {
        return Ok(());
    };
    if capped.limit() > 0 {
        return Ok(());
    }
    let mut byte = [0u8; 1];
    match capped.into_inner().read(&mut byte).await {
        Ok(n) if n > 0 => Err(HttpError::ChunkTooLarge { max }),
        _ => Ok(()),
    }
}
