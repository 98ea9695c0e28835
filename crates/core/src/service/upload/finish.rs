//! Committing an upload: the MD5 compared, the quota checked again, the staging file synced
//! and renamed into place atomically. A target never holds a partial file.

use super::writer::Writer;
use crate::md5hex::Md5Digest;
use crate::model::{Entry, EntryKind};
use crate::service::{Inner, Session};
use crate::upload_id::UploadId;
use crate::username::Username;
use crate::{Error, Result};

impl Session {
    /// Verifies the MD5 and commits the file atomically. On `checksum_mismatch` the upload is
    /// discarded and nothing appears at the target.
    pub async fn upload_finish(&mut self, id: &str, md5: Option<&str>) -> Result<Entry> {
        let uid = UploadId::parse(id)?;
        let given = md5.map(Md5Digest::parse).transpose()?;
        let w = self.take_writer(uid).await?;
        if w.offset != w.record.size {
            let (offset, size) = (w.offset, w.record.size);
            return self.refuse(uid, w, Error::UploadIncomplete { offset, size });
        }
        let Some(expected) = given.or(w.record.md5) else {
            return self.refuse(uid, w, Error::Md5Required);
        };
        if let (Some(a), Some(b)) = (given, w.record.md5)
            && a != b
        {
            let e = Error::BadRequest(format!("md5 {a} differs from {b} given at create"));
            return self.refuse(uid, w, e);
        }
        self.commit(uid, w, Some(expected)).await
    }

    /// Commits a complete upload whose MD5 was never announced, with the MD5 computed while
    /// receiving (returned in the entry for the client to check). The HTTP door uses this when
    /// neither the create request nor the last chunk named an MD5; an MD5 given at create is
    /// still enforced.
    pub async fn upload_finish_computed(&mut self, id: &str) -> Result<Entry> {
        let uid = UploadId::parse(id)?;
        let w = self.take_writer(uid).await?;
        let expected = w.record.md5;
        self.commit(uid, w, expected).await
    }

    /// Commits a complete upload. With `expected`, the received bytes must hash to it; without,
    /// the file is committed with the MD5 computed while receiving (for callers that hold the
    /// whole body themselves, like [`Session::put_file`]).
    pub(super) async fn commit(
        &mut self,
        uid: UploadId,
        mut w: Writer,
        expected: Option<Md5Digest>,
    ) -> Result<Entry> {
        if w.offset != w.record.size {
            let (offset, size) = (w.offset, w.record.size);
            return self.refuse(uid, w, Error::UploadIncomplete { offset, size });
        }
        let inner = self.ferry.inner.clone();
        let user = self.user.clone();
        let (w, result) = tokio::task::spawn_blocking(move || {
            let r = finish(&inner, &user, &mut w, expected);
            (w, r)
        })
        .await
        .map_err(Error::internal)?;
        match result {
            Ok(entry) => {
                // Committed: the record is gone, so release the lease without a checkpoint.
                self.end_lease(&uid);
                w.log("committed");
                Ok(entry)
            }
            Err(e @ Error::ChecksumMismatch { .. }) => {
                self.end_lease(&uid);
                w.log("checksum_mismatch");
                Err(e)
            }
            Err(e) => self.refuse(uid, w, e),
        }
    }

    /// Hands the writer back (the upload stays as it was) and fails with `e`.
    fn refuse<T>(&mut self, uid: UploadId, w: Writer, e: Error) -> Result<T> {
        self.put_writer(uid, w);
        Err(e)
    }
}

fn finish(
    inner: &Inner,
    user: &Username,
    w: &mut Writer,
    expected: Option<Md5Digest>,
) -> Result<Entry> {
    let actual = Md5Digest(md5::Digest::finalize(w.hasher.clone()).into());
    if let Some(expected) = expected
        && actual != expected
    {
        inner.discard(&w.record)?;
        tracing::info!(user = %user, upload = %w.record.id, "upload discarded: checksum mismatch");
        return Err(Error::ChecksumMismatch {
            expected: expected.to_string(),
            actual: actual.to_string(),
        });
    }
    let size = w.record.size;
    // Checked again at finish: the limit may have been lowered, or files added, meanwhile.
    if let Some(limit) = inner.quota_limit(user)? {
        let replaced = match inner.blobs.stat(user, &w.record.path) {
            Ok(e) if w.record.overwrite && e.kind == EntryKind::File => e.size,
            _ => 0,
        };
        inner.with_ledger(user, |l| {
            let used_after = l.used.saturating_add(size).saturating_sub(replaced);
            if used_after > limit {
                let available = limit.saturating_sub(l.used).saturating_add(replaced);
                return Err(Error::QuotaExceeded {
                    needed: size,
                    available,
                });
            }
            Ok(())
        })?;
    }
    w.file.sync()?;
    let (entry, replaced) = inner.blobs.commit(
        &w.record.id,
        user,
        &w.record.path,
        w.record.overwrite,
        &actual,
    )?;
    inner.meta.remove_upload(&w.record.id)?;
    inner.with_ledger(user, |l| {
        l.reserved = l.reserved.saturating_sub(size);
        l.used = l.used.saturating_add(size).saturating_sub(replaced);
        Ok(())
    })?;
    tracing::info!(user = %user, upload = %w.record.id, path = %entry.path, bytes = size, md5 = %actual, "upload committed");
    Ok(entry)
}
