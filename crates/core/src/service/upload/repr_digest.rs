//! The whole file's SHA-256 (`Repr-Digest: sha-256`), when one was announced at create.
//!
//! The engine runs MD5 alone while bytes arrive (every upload pays for it; SHA-256 would
//! double the hashing of every upload for the few that ask). An upload that announced a
//! SHA-256 is instead hashed once more at commit, from the staged bytes (usually still in the
//! page cache; an object store assembles its parts first), before anything appears at the
//! target; a mismatch discards it like an MD5 mismatch.

use sha2::{Digest, Sha256};

use super::BLOCK;
use crate::service::Inner;
use crate::store::UploadRecord;
use crate::{Error, Result};

/// `checksum_mismatch` when the upload announced a SHA-256 its staged bytes do not have.
pub(super) async fn sha256_mismatch(inner: &Inner, record: &UploadRecord) -> Result<Option<Error>> {
    let Some(expected) = record.sha256.as_deref() else {
        return Ok(None);
    };
    inner.uploads.seal(&record.id).await?;
    let mut hasher = Sha256::new();
    let mut at = 0;
    while at < record.size {
        let want = (record.size - at).min(BLOCK as u64) as usize;
        let block = inner.uploads.read_range(&record.id, at, want).await?;
        if block.is_empty() {
            return Err(Error::internal("staged bytes shrank while hashing"));
        }
        at += block.len() as u64;
        hasher = tokio::task::spawn_blocking(move || {
            hasher.update(&block);
            hasher
        })
        .await
        .map_err(Error::internal)?;
    }
    let actual = hex::encode(hasher.finalize());
    Ok((actual != expected).then(|| Error::ChecksumMismatch {
        expected: format!("sha-256 {expected}"),
        actual: format!("sha-256 {actual}"),
    }))
}
