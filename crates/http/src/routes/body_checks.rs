//! The digests a request whose body is a whole file (`PUT /api/v1/files/…`, a drop-box
//! upload) is held to, from every header that can carry one.
//!
//! When the body is the whole file, its content digest and the file's representation digest
//! are the same bytes' digest, so all of these are checks of one body:
//! - `Content-MD5`, `Repr-Digest: md5=…`, `Content-Digest: md5=…`: the file's MD5, checked by
//!   the commit (`422 checksum_mismatch`).
//! - `Repr-Digest: sha-256=…`, `Content-Digest: sha-256=…` (or `crc32c=…`): checked over the
//!   body before the commit (`400 chunk_checksum_mismatch`), as the resumable dialect checks
//!   a chunk's.
//!
//! A field naming only algorithms Ferry does not check is refused, never ignored: a client
//! that asked for a check must not get an unchecked file. Two values of one algorithm that
//! differ cannot both hold, so they are refused before the body is read.

use axum::http::HeaderMap;
use ferry_core::{BodyChecks, ChunkDigest};

use crate::error::{ApiError, HttpError};
use crate::headers::{ChunkDigestValue, parse_content_md5, parse_digest_field, pick_chunk_digest};
use crate::routes::header_text;
use crate::routes::resumable::append::repr_digest;

/// The checks for a body that is the whole file.
pub fn whole_body_checks(headers: &HeaderMap) -> Result<BodyChecks, ApiError> {
    let repr = repr_digest(headers)?;
    let mut md5 = repr.md5.map(|m| m.0);
    let mut sha256 = repr.sha256;
    let mut crc32c = None;
    if let Some(v) = header_text(headers, "content-md5")? {
        agree(&mut md5, parse_content_md5(v)?, "MD5")?;
    }
    if let Some(v) = header_text(headers, "content-digest")? {
        let fields = parse_digest_field(v)?;
        if pick_chunk_digest(&fields)?.is_none() {
            return Err(HttpError::DigestAlgorithm(
                "Content-Digest names no algorithm checked here (sha-256, md5, crc32c are)".into(),
            )
            .into());
        }
        // `pick_chunk_digest` has checked each known algorithm's length.
        for (alg, bytes) in &fields {
            match (
                alg.as_str(),
                pick_chunk_digest(&[(alg.clone(), bytes.clone())])?,
            ) {
                ("md5", Some(ChunkDigestValue::Md5(d))) => agree(&mut md5, d, "MD5")?,
                ("sha-256", Some(ChunkDigestValue::Sha256(d))) => {
                    agree(&mut sha256, d, "SHA-256")?;
                }
                ("crc32c", Some(ChunkDigestValue::Crc32c(c))) => crc32c = Some(c),
                _ => {}
            }
        }
    }
    let digest = match (sha256, crc32c) {
        (Some(d), _) => Some(ChunkDigest::Sha256(d)),
        (None, Some(c)) => Some(ChunkDigest::Crc32c(c)),
        (None, None) => None,
    };
    Ok(BodyChecks {
        md5: md5.map(hex::encode),
        digest,
    })
}

/// Keeps `new` as the expected value, refusing one that differs from a value already given.
fn agree<const N: usize>(
    held: &mut Option<[u8; N]>,
    new: [u8; N],
    name: &str,
) -> Result<(), ApiError> {
    match held {
        Some(old) if *old != new => Err(HttpError::BadHeader(format!(
            "the headers give two different {name} values for one body: no body can match both"
        ))
        .into()),
        _ => {
            *held = Some(new);
            Ok(())
        }
    }
}
