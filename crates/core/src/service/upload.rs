//! Resumable, MD5-verified uploads.
//!
//! Bytes go to a staging file outside every home; the staging file's length *is* the offset.
//! The running MD5 is kept in memory while a session writes and its state is checkpointed into
//! the upload record every `checkpoint_bytes`, so after a crash (even `kill -9`) only the bytes
//! since the last checkpoint are re-hashed. A checkpoint is trusted only if the staging file
//! is at least as long as what it covers; otherwise the whole prefix is re-hashed (the
//! fallback). At finish the MD5 is compared, the file synced and renamed into place
//! atomically: a target never holds a partial file.
//!
//! - [`writer`]: the open staging file with its running MD5 (open, append, checkpoint, rewind).
//! - [`lease`]: one writer per upload.
//! - [`write`]: appending chunks and bodies, with optional per-write digests.
//! - [`finish`]: verification and the atomic commit.
//! - [`put`]: a whole file in one call, never left behind.
//! - this file: create, list, status, cancel, expiry.

mod finish;
mod lease;
mod put;
mod write;
mod writer;

pub(super) use lease::UploadLease;

use super::{Inner, Session, blocking, lock};
use crate::md5hex::Md5Digest;
use crate::model::{EntryKind, UploadInfo, unix_now};
use crate::store::UploadRecord;
use crate::upload_id::UploadId;
use crate::username::Username;
use crate::{Error, Result};

/// Largest block moved to the blocking pool at once when reading from an `AsyncRead`, and
/// when re-hashing staged bytes.
const BLOCK: usize = 1 << 20;

impl Inner {
    fn info(&self, r: &UploadRecord, offset: u64) -> UploadInfo {
        UploadInfo {
            id: r.id,
            path: r.path.clone(),
            size: r.size,
            offset,
            md5: r.md5,
            expires: r.expires,
        }
    }

    fn record_of(&self, user: &Username, id: &UploadId) -> Result<UploadRecord> {
        match self.meta.upload(id)? {
            Some(r) if &r.user == user => Ok(r),
            _ => Err(Error::UploadNotFound(id.to_string())),
        }
    }

    /// Removes an upload's staging file and record and releases its reservation.
    fn discard(&self, record: &UploadRecord) -> Result<()> {
        self.blobs.remove_staging(&record.id)?;
        self.meta.remove_upload(&record.id)?;
        self.release(&record.user, record.size);
        Ok(())
    }

    /// Discards uploads idle past their expiry that nobody is writing. Returns how many.
    pub(super) fn sweep_uploads(&self, now: i64) -> Result<usize> {
        let mut n = 0;
        for record in self.meta.uploads()? {
            if record.expires >= now || lock(&self.leases).contains(&record.id) {
                continue;
            }
            // Take the lease so no session starts writing while we delete.
            if !lock(&self.leases).insert(record.id) {
                continue;
            }
            let result = self.discard(&record);
            lock(&self.leases).remove(&record.id);
            result?;
            tracing::info!(upload = %record.id, user = %record.user, "expired upload discarded");
            n += 1;
        }
        Ok(n)
    }
}

impl Session {
    /// Creates an upload of `size` bytes to `input`, reserving quota.
    pub async fn upload_create(
        &mut self,
        input: &str,
        size: u64,
        md5: Option<&str>,
        overwrite: bool,
    ) -> Result<UploadInfo> {
        let path = self.resolve(input)?;
        if path.is_root() {
            return Err(Error::IsADirectory("/".into()));
        }
        let md5 = md5.map(Md5Digest::parse).transpose()?;
        let inner = self.ferry.inner.clone();
        let user = self.user.clone();
        blocking(move || {
            let parent = inner.blobs.stat(&user, &path.parent())?;
            if parent.kind != EntryKind::Dir {
                return Err(Error::NotADirectory(path.parent().to_string()));
            }
            match inner.blobs.stat(&user, &path) {
                Ok(e) if e.kind == EntryKind::Dir => return Err(Error::IsADirectory(path.to_string())),
                Ok(_) if !overwrite => return Err(Error::AlreadyExists(path.to_string())),
                Ok(_) | Err(Error::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
            let open = inner.meta.uploads()?.iter().filter(|r| r.user == user).count();
            if open >= inner.config.max_uploads_per_user {
                return Err(Error::LimitReached(format!(
                    "at most {} unfinished uploads per user",
                    inner.config.max_uploads_per_user
                )));
            }
            inner.reserve(&user, size)?;
            let now = unix_now();
            let record = UploadRecord {
                id: UploadId::random()?,
                user: user.clone(),
                path,
                size,
                md5,
                overwrite,
                created: now,
                expires: now + inner.config.upload_ttl.as_secs() as i64,
                hash_state: None,
                hashed: 0,
            };
            let created = inner
                .blobs
                .staging(&record.id, true)
                .and_then(|_| inner.meta.put_upload(&record));
            if let Err(e) = created {
                let _ = inner.blobs.remove_staging(&record.id);
                inner.release(&user, size);
                return Err(e);
            }
            tracing::info!(user = %user, upload = %record.id, path = %record.path, size, "upload created");
            Ok(inner.info(&record, 0))
        })
        .await
    }

    /// This user's unfinished uploads with their current offsets.
    pub async fn upload_list(&self) -> Result<Vec<UploadInfo>> {
        let inner = self.ferry.inner.clone();
        let user = self.user.clone();
        blocking(move || {
            let mut out = Vec::new();
            for r in inner.meta.uploads()?.into_iter().filter(|r| r.user == user) {
                let offset = match inner.blobs.staging(&r.id, false) {
                    Ok(f) => f.len()?,
                    Err(_) => continue,
                };
                out.push(inner.info(&r, offset));
            }
            out.sort_by_key(|i| i.expires);
            Ok(out)
        })
        .await
    }

    /// One upload's state; `offset` is where to resume.
    pub async fn upload_status(&self, id: &str) -> Result<UploadInfo> {
        let id = UploadId::parse(id)?;
        if let Some(w) = self.leases.get(&id).and_then(|l| l.writer.as_ref()) {
            return Ok(self.ferry.inner.info(&w.record, w.offset));
        }
        let inner = self.ferry.inner.clone();
        let user = self.user.clone();
        blocking(move || {
            let r = inner.record_of(&user, &id)?;
            let offset = inner.blobs.staging(&id, false)?.len()?;
            Ok(inner.info(&r, offset))
        })
        .await
    }

    /// Abandons an upload and releases its reservation.
    pub async fn upload_cancel(&mut self, id: &str) -> Result<()> {
        let uid = UploadId::parse(id)?;
        let w = self.take_writer(uid).await?;
        let inner = self.ferry.inner.clone();
        let record = w.record.clone();
        w.log("cancelled");
        drop(w);
        let result = blocking(move || inner.discard(&record)).await;
        self.end_lease(&uid);
        result
    }
}
