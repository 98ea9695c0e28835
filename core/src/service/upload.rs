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
//! One writer per upload: a session takes a lease (an entry in a shared set that its `Drop`
//! removes) before writing; a second session gets `upload_busy`.

use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use md5::digest::common::hazmat::SerializableState;
use md5::{Digest, Md5};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::{Ferry, Inner, Session, blocking, lock};
use crate::md5hex::Md5Digest;
use crate::model::{Entry, EntryKind, UploadInfo, unix_now};
use crate::store::{StagingFile, UploadRecord};
use crate::upload_id::UploadId;
use crate::username::Username;
use crate::{Error, Result};

/// Largest block moved to the blocking pool at once when reading from an `AsyncRead`.
const BLOCK: usize = 1 << 20;

/// Blocks at least this large are hashed on a second thread while being written; below it a
/// thread costs more than it saves.
const PARALLEL_HASH_MIN: usize = 256 * 1024;

/// The exclusive right to write one upload, with its open staging file and running hash.
#[derive(Debug)]
pub(super) struct UploadLease {
    inner: Arc<Inner>,
    id: UploadId,
    writer: Option<Writer>,
}

#[derive(Debug)]
struct Writer {
    file: Box<dyn StagingFile>,
    hasher: Md5,
    offset: u64,
    record: UploadRecord,
    unsaved: u64,
    /// When this session took the upload, and what it added since: for the transfer log.
    opened: std::time::Instant,
    start: u64,
}

impl Writer {
    /// One log line per upload session: who, what, how much, how long, how it ended.
    fn log(&self, result: &str) {
        tracing::info!(
            user = %self.record.user,
            upload = %self.record.id,
            path = %self.record.path,
            bytes = self.offset.saturating_sub(self.start),
            offset = self.offset,
            size = self.record.size,
            duration_ms = self.opened.elapsed().as_millis() as u64,
            result,
            "upload"
        );
    }
}

impl Drop for UploadLease {
    fn drop(&mut self) {
        if let Some(mut w) = self.writer.take() {
            if let Err(e) = self.inner.checkpoint(&mut w) {
                tracing::warn!(upload = %self.id, error = ?e, "checkpoint on release failed");
            }
            w.log("paused");
        }
        lock(&self.inner.leases).remove(&self.id);
    }
}

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

    fn checkpoint(&self, w: &mut Writer) -> Result<()> {
        w.record.hash_state = Some(hex::encode(w.hasher.serialize()));
        w.record.hashed = w.offset;
        w.record.expires = unix_now() + self.config.upload_ttl.as_secs() as i64;
        self.meta.put_upload(&w.record)?;
        w.unsaved = 0;
        Ok(())
    }

    /// Opens the staging file and rebuilds the running MD5 from the last checkpoint.
    fn open_writer(&self, record: UploadRecord) -> Result<Writer> {
        let mut file = self.blobs.staging(&record.id, false)?;
        let len = file.len()?;
        let restored = record
            .hash_state
            .as_deref()
            .filter(|_| record.hashed <= len)
            .and_then(|s| hex::decode(s).ok())
            .and_then(|b| Md5::deserialize(b.as_slice().try_into().ok()?).ok());
        let (mut hasher, hashed) = match restored {
            Some(h) => (h, record.hashed),
            None => (Md5::new(), 0),
        };
        if hashed < len {
            tracing::info!(upload = %record.id, from = hashed, to = len, "re-hashing staged bytes");
            file.seek(SeekFrom::Start(hashed))
                .map_err(Error::internal)?;
            let mut buf = vec![0u8; BLOCK];
            let mut left = len - hashed;
            while left > 0 {
                let n = file
                    .read(&mut buf[..(left.min(BLOCK as u64) as usize)])
                    .map_err(Error::internal)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                left -= n as u64;
            }
        }
        file.seek(SeekFrom::Start(len)).map_err(Error::internal)?;
        Ok(Writer {
            file,
            hasher,
            offset: len,
            record,
            unsaved: len - hashed,
            opened: std::time::Instant::now(),
            start: len,
        })
    }

    /// Appends one block; on failure the staging file is cut back to where it was.
    fn append(&self, w: &mut Writer, data: &[u8]) -> Result<()> {
        let before = w.hasher.clone();
        let written = if data.len() >= PARALLEL_HASH_MIN {
            // MD5 is the bottleneck of a verified upload: hash on a second thread while this
            // one writes, so a chunk costs max(hash, write) instead of their sum.
            let (hasher, file) = (&mut w.hasher, &mut w.file);
            std::thread::scope(|s| {
                let hashing = s.spawn(|| hasher.update(data));
                let written = file.write_all(data);
                let _ = hashing.join();
                written
            })
        } else {
            w.hasher.update(data);
            w.file.write_all(data)
        };
        if let Err(e) = written {
            let _ = w.file.truncate(w.offset);
            w.hasher = before;
            return Err(Error::from_io(e, ""));
        }
        w.offset += data.len() as u64;
        w.unsaved += data.len() as u64;
        if w.unsaved >= self.config.checkpoint_bytes {
            self.checkpoint(w)?;
        }
        Ok(())
    }

    fn discard(&self, record: &UploadRecord) -> Result<()> {
        self.blobs.remove_staging(&record.id)?;
        self.meta.remove_upload(&record.id)?;
        self.release(&record.user, record.size);
        Ok(())
    }

    /// Discards uploads idle past their expiry that nobody is writing. Returns how many.
    pub(super) fn sweep(&self, now: i64) -> Result<usize> {
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

impl Ferry {
    /// Discards expired uploads; servers call this periodically.
    pub async fn sweep_expired(&self) -> Result<usize> {
        let inner = self.inner.clone();
        blocking(move || inner.sweep(unix_now())).await
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

    /// Takes the lease on `id` (if this session does not hold it) and hands out its writer.
    async fn take_writer(&mut self, id: UploadId) -> Result<Writer> {
        if let Some(lease) = self.leases.get_mut(&id)
            && let Some(w) = lease.writer.take()
        {
            return Ok(w);
        }
        let inner = self.ferry.inner.clone();
        if !lock(&inner.leases).insert(id) {
            return Err(Error::UploadBusy(id.to_string()));
        }
        let mut lease = UploadLease {
            inner: inner.clone(),
            id,
            writer: None,
        };
        let user = self.user.clone();
        let opened = blocking(move || inner.open_writer(inner.record_of(&user, &id)?)).await;
        match opened {
            Ok(w) => {
                self.leases.insert(id, lease);
                Ok(w)
            }
            Err(e) => {
                lease.writer = None;
                drop(lease);
                Err(e)
            }
        }
    }

    fn put_writer(&mut self, id: UploadId, w: Writer) {
        if let Some(lease) = self.leases.get_mut(&id) {
            lease.writer = Some(w);
        }
    }

    /// Appends an in-memory chunk at `offset`, checking its CRC-32C first: a corrupt chunk is
    /// refused whole. Returns the new offset.
    pub async fn upload_write_chunk(
        &mut self,
        id: &str,
        offset: u64,
        data: Bytes,
        crc32c: Option<u32>,
    ) -> Result<u64> {
        let id = UploadId::parse(id)?;
        if crc32c.is_some_and(|expected| crc32c::crc32c(&data) != expected) {
            return Err(Error::ChunkChecksumMismatch);
        }
        let mut w = self.take_writer(id).await?;
        if offset != w.offset {
            let expected = w.offset;
            self.put_writer(id, w);
            return Err(Error::OffsetMismatch {
                expected,
                got: offset,
            });
        }
        if offset + data.len() as u64 > w.record.size {
            let size = w.record.size;
            self.put_writer(id, w);
            return Err(Error::SizeExceeded { size });
        }
        let inner = self.ferry.inner.clone();
        let (w, result) = tokio::task::spawn_blocking(move || {
            let r = inner.append(&mut w, &data);
            (w, r)
        })
        .await
        .map_err(Error::internal)?;
        let offset = w.offset;
        self.put_writer(id, w);
        result.map(|()| offset)
    }

    /// Appends everything `body` yields at `offset`. Bytes past the declared size are not
    /// written (`size_exceeded`, the in-range bytes kept). With `crc32c`, a mismatch cuts the
    /// whole body back off. Returns the new offset.
    pub async fn upload_write<R: AsyncRead + Unpin>(
        &mut self,
        id: &str,
        offset: u64,
        mut body: R,
        crc32c: Option<u32>,
    ) -> Result<u64> {
        let uid = UploadId::parse(id)?;
        let w = self.take_writer(uid).await?;
        if offset != w.offset {
            let expected = w.offset;
            self.put_writer(uid, w);
            return Err(Error::OffsetMismatch {
                expected,
                got: offset,
            });
        }
        let (start, snapshot) = (w.offset, w.hasher.clone());
        let mut w = Some(w);
        let mut crc = 0u32;
        let mut result = Ok(());
        loop {
            let mut buf = BytesMut::with_capacity(BLOCK);
            let read = read_block(&mut body, &mut buf).await;
            let writer = w.as_mut().ok_or_else(|| Error::internal("writer lost"))?;
            let room = writer.record.size - writer.offset;
            let over = buf.len() as u64 > room;
            if over {
                buf.truncate(room as usize);
            }
            crc = crc32c::crc32c_append(crc, &buf);
            if !buf.is_empty() {
                let inner = self.ferry.inner.clone();
                let mut writer = w.take().ok_or_else(|| Error::internal("writer lost"))?;
                let data = buf.freeze();
                let (writer, r) = tokio::task::spawn_blocking(move || {
                    let r = inner.append(&mut writer, &data);
                    (writer, r)
                })
                .await
                .map_err(Error::internal)?;
                w = Some(writer);
                if let Err(e) = r {
                    result = Err(e);
                    break;
                }
            }
            if over {
                let size = w.as_ref().map_or(0, |w| w.record.size);
                result = Err(Error::SizeExceeded { size });
                break;
            }
            match read {
                Ok(true) => continue,
                Ok(false) => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        let mut w = w.ok_or_else(|| Error::internal("writer lost"))?;
        if result.is_ok() && crc32c.is_some_and(|c| c != crc) {
            w.file.truncate(start)?;
            w.offset = start;
            w.hasher = snapshot;
            result = Err(Error::ChunkChecksumMismatch);
        }
        let offset = w.offset;
        self.put_writer(uid, w);
        result.map(|()| offset)
    }

    /// Verifies the MD5 and commits the file atomically. On `checksum_mismatch` the upload is
    /// discarded and nothing appears at the target.
    pub async fn upload_finish(&mut self, id: &str, md5: Option<&str>) -> Result<Entry> {
        let uid = UploadId::parse(id)?;
        let given = md5.map(Md5Digest::parse).transpose()?;
        let mut w = self.take_writer(uid).await?;
        if w.offset != w.record.size {
            let (offset, size) = (w.offset, w.record.size);
            self.put_writer(uid, w);
            return Err(Error::UploadIncomplete { offset, size });
        }
        let Some(expected) = given.or(w.record.md5) else {
            self.put_writer(uid, w);
            return Err(Error::Md5Required);
        };
        if let (Some(a), Some(b)) = (given, w.record.md5)
            && a != b
        {
            self.put_writer(uid, w);
            return Err(Error::BadRequest(format!(
                "md5 {a} differs from {b} given at create"
            )));
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
                if let Some(mut lease) = self.leases.remove(&uid) {
                    lease.writer = None;
                }
                w.log("committed");
                Ok(entry)
            }
            Err(e @ Error::ChecksumMismatch { .. }) => {
                if let Some(mut lease) = self.leases.remove(&uid) {
                    lease.writer = None;
                }
                w.log("checksum_mismatch");
                Err(e)
            }
            Err(e) => {
                self.put_writer(uid, w);
                Err(e)
            }
        }
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
        if let Some(mut lease) = self.leases.remove(&uid) {
            lease.writer = None;
        }
        result
    }
}

fn finish(inner: &Inner, user: &Username, w: &mut Writer, expected: Md5Digest) -> Result<Entry> {
    let actual = Md5Digest(w.hasher.clone().finalize().into());
    if actual != expected {
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

/// Fills `buf` up to its capacity; `Ok(false)` at end of input.
async fn read_block<R: AsyncRead + Unpin>(body: &mut R, buf: &mut BytesMut) -> Result<bool> {
    while buf.len() < buf.capacity() {
        match body.read_buf(buf).await {
            Ok(0) => return Ok(false),
            Ok(_) => {}
            Err(e) => return Err(Error::from_io(e, "")),
        }
    }
    Ok(true)
}
