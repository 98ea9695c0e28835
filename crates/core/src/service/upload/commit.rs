//! Committing an upload: the MD5 compared, the quota moved from reserved to used in one
//! atomic step, the bytes synced and moved into place atomically. A target never holds a
//! partial file, and an upload whose commit is refused (the name is taken, the quota was
//! lowered) keeps every byte, so it can be committed later from any door.

use super::claim::Locked;
use super::job::Job;
use crate::md5hex::Md5Digest;
use crate::model::{Entry, EntryKind};
use crate::service::metrics;
use crate::store::QuotaCommit;
use crate::{Error, Result};

impl Job {
    /// Commits the locked upload. With `strict` it must be complete and an MD5 known (given or
    /// announced at create); without, a complete upload with no MD5 anywhere is committed with
    /// the MD5 computed while receiving. On `checksum_mismatch` the upload is discarded and
    /// nothing appears at the target.
    pub(super) async fn commit(
        &self,
        mut guard: Locked,
        given: Option<Md5Digest>,
        strict: bool,
    ) -> Result<Entry> {
        let (inner, slot) = (self.inner.clone(), &self.slot);
        let w = guard.as_mut().ok_or_else(|| slot.id.not_found())?;
        // The store's commit reads what was flushed.
        if let Err(e) = w.flush().await {
            return Err(self.drop_writer(guard, e).await);
        }
        if strict && w.record.deferred {
            // Finishing an upload whose length was never stated: the bytes held are the file.
            let held = w.offset();
            super::length::fix_length(&inner, w, held).await?;
        }
        let (size, offset) = (w.record.size, w.offset());
        if offset != size {
            return Err(Error::UploadIncomplete { offset, size });
        }
        let expected = given.or(w.record.md5);
        if strict && expected.is_none() {
            return Err(Error::Md5Required);
        }
        if let (Some(a), Some(b)) = (given, w.record.md5)
            && a != b
        {
            return Err(Error::BadRequest(format!(
                "md5 {a} differs from {b} given at create"
            )));
        }
        let actual = w.md5().await?;
        let user = self.user.clone();
        let mismatch = match expected {
            Some(expected) if actual != expected => Some(Error::ChecksumMismatch {
                expected: expected.to_string(),
                actual: actual.to_string(),
            }),
            _ => super::repr_digest::sha256_mismatch(&inner, &w.record).await?,
        };
        if let Some(mismatch) = mismatch {
            let w = guard.take().ok_or_else(|| Error::internal("writer lost"))?;
            let discarded = inner.discard(&w.record, "checksum_mismatch").await;
            w.log("checksum_mismatch");
            w.end(&inner).await;
            drop(guard);
            self.finished();
            discarded?;
            tracing::info!(user = user.as_str(), upload = %slot.id, "upload discarded: checksum mismatch");
            return Err(mismatch);
        }
        let path = w.record.path.clone();
        let overwrite = w.record.overwrite;
        // Checked again at commit: the limit may have been lowered, or files added, meanwhile.
        let limit = inner.quota_limit(&user).await?;
        // Without `overwrite` nothing is replaced (the commit refuses a taken name).
        let replaced = match overwrite {
            true => match inner.files.stat(&user, &path).await {
                Ok(e) if e.kind == EntryKind::File => e.size,
                _ => 0,
            },
            false => 0,
        };
        inner.ensure_ledger(&user).await?;
        let change = QuotaCommit {
            user: user.clone(),
            size,
            replaced,
        };
        inner
            .meta
            .quota_begin_commit(&change, limit)
            .await
            .inspect_err(metrics::refused_by_limit)?;
        // The store makes the bytes durable before the name appears (one trip, see the seam).
        let committed = inner.uploads.commit(&w.record, &actual).await;
        let (entry, actually_replaced) = match committed {
            Ok(c) => c,
            Err(e) => {
                inner.meta.quota_abort_commit(&change).await?;
                return Err(e);
            }
        };
        // The file is in place: whatever fails from here, this upload made it.
        metrics::upload_committed(size);
        let removed = inner.meta.remove_upload(&slot.id).await;
        inner
            .meta
            .quota_end_change(&user, actually_replaced.saturating_sub(replaced))
            .await?;
        let w = guard.take().ok_or_else(|| Error::internal("writer lost"))?;
        let mut done = w.info();
        done.offset = size;
        done.md5 = Some(actual);
        if !slot.is_ephemeral() {
            // A one-request put's id was never given out, so nobody can ask for it later; and
            // its whole story is the audit line below (and the access line).
            inner.writers.completed.insert(&user, done);
            w.log("committed");
        }
        w.end(&inner).await;
        drop(guard);
        self.finished();
        removed?;
        crate::audit::audit!(
            "upload",
            user.as_str(),
            self.source.as_str(),
            upload = %slot.id,
            path = entry.path.to_string().as_str(),
            bytes = size,
            md5 = %actual
        );
        Ok(entry)
    }
}
