//! Uploads whose length is not known at creation (tus `creation-defer-length`, an IETF upload
//! created without `Upload-Length`), and stating the length later.
//!
//! Every upload reserves quota at creation, so an upload of unknown length reserves the most
//! it may grow to: the smaller of `--max-upload-size` and what the user's quota has left. Its
//! record says `deferred`, and its `size` is that reservation, which the append path already
//! treats as the ceiling (bytes past it are `size_exceeded`). The first request that states
//! the length ([`Session::upload_set_length`]) makes `size` the length and gives the rest of
//! the reservation back; finishing an upload whose length was never stated (the TCP door's
//! finish, an IETF `Upload-Complete: ?1` with a body of unknown length) takes the bytes held
//! as the length. The trade-off: while the length is open, that user's other uploads see the
//! quota as taken.

use super::CreateOptions;
use super::writer::Writer;
use crate::model::UploadInfo;
use crate::service::{Inner, Session};
use crate::upload_id::UploadId;
use crate::username::Username;
use crate::{Error, Result};

/// What a new upload is besides its target.
#[derive(Debug, Clone, Default)]
pub struct NewUpload {
    /// The file's length; `None` defers it (see the module docs).
    pub size: Option<u64>,
    /// The whole file's expected MD5 (hex), verified at commit.
    pub md5: Option<String>,
    /// The whole file's expected SHA-256, verified at commit.
    pub sha256: Option<[u8; 32]>,
    /// Whether a file at the target is replaced and missing parent folders are created
    /// (by default: no, yes).
    pub options: CreateOptions,
    /// The upload ends with the request that carries it, committed or discarded (a whole-file
    /// put): its record may live in memory only (`MetaStore::create_transient_upload`).
    pub transient: bool,
}

impl Inner {
    /// The reservation of an upload of unknown length: the server's maximum, or what the
    /// user's quota has left if that is less (`quota_exceeded` when nothing is).
    pub(super) async fn deferred_reservation(&self, user: &Username) -> Result<u64> {
        let max = self.config.max_upload_size;
        let Some(limit) = self.quota_limit(user).await? else {
            return Ok(max);
        };
        let ledger = self.ensure_ledger(user).await?;
        let left = limit.saturating_sub(ledger.used.saturating_add(ledger.reserved));
        if left == 0 {
            return Err(Error::QuotaExceeded {
                needed: 1,
                available: 0,
            });
        }
        Ok(left.min(max))
    }
}

impl Session {
    /// States upload `id`'s length: for an upload of unknown length the reservation shrinks to
    /// it; otherwise it must equal the length known (`size_mismatch`). A length below the bytes
    /// held is `size_mismatch` too; above the reservation `upload_too_large` or
    /// `quota_exceeded`.
    pub async fn upload_set_length(&mut self, id: &str, len: u64) -> Result<UploadInfo> {
        let info = self.upload_status(id).await?;
        if !info.length_deferred {
            return same_length(info, len);
        }
        let uid = UploadId::parse(id)?;
        let inner = self.ferry.inner.clone();
        let (slot, mut guard) = self.lock_writer(uid).await?;
        let w = guard.as_mut().ok_or_else(|| uid.not_found())?;
        if !w.record.deferred {
            return same_length(w.info(), len);
        }
        let max = inner.config.max_upload_size;
        if len > max {
            return Err(Error::UploadTooLarge { size: len, max });
        }
        if len > w.record.size {
            return Err(Error::QuotaExceeded {
                needed: len,
                available: w.record.size,
            });
        }
        fix_length(&inner, w, len).await?;
        let info = w.info();
        slot.set_info(info.clone());
        Ok(info)
    }
}

fn same_length(info: UploadInfo, len: u64) -> Result<UploadInfo> {
    match len == info.size {
        true => Ok(info),
        false => Err(Error::LengthMismatch {
            size: info.size,
            got: len,
        }),
    }
}

/// Makes `len` the length of the locked upload of unknown length, shrinking its reservation.
/// `len` may not be below the bytes held.
pub(super) async fn fix_length(inner: &Inner, w: &mut Writer, len: u64) -> Result<()> {
    if len < w.offset() {
        return Err(Error::LengthMismatch {
            size: w.offset(),
            got: len,
        });
    }
    let reserved = w.record.size;
    w.record.size = len;
    w.record.deferred = false;
    // The record first: a crash before the release leaves too much reserved, never too little.
    if let Err(e) = w.checkpoint(inner).await {
        w.record.size = reserved;
        w.record.deferred = true;
        return Err(e);
    }
    let user = w.record.user.clone();
    inner.quota_release(&user, reserved - len).await?;
    tracing::info!(upload = %w.record.id, length = len, "upload length stated");
    Ok(())
}
