//! The [`Writer`]: an upload's open staging handle with its running MD5 and lease, and what is
//! done to it — open (rebuilding the hash from the last checkpoint), append, accept or roll
//! back, checkpoint, close.

use bytes::Bytes;
use md5::Digest;
use md5::digest::common::hazmat::SerializableState;

use crate::fast_md5::Md5;

use super::BLOCK;
use super::running_md5::RunningMd5;
use crate::model::{UploadInfo, unix_now};
use crate::service::Inner;
use crate::store::{HashCheckpoint, Lease, StagingHandle, UploadRecord};
use crate::{Error, Result};

/// How often the end of a request flushes the staged bytes at most (see
/// [`Writer::flush_if_due`]).
const FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// An upload being written: staging handle, running MD5, record, lease.
#[derive(Debug)]
pub(in crate::service) struct Writer {
    handle: Box<dyn StagingHandle>,
    /// MD5 of the bytes, hashed behind them (see [`RunningMd5`]).
    md5: RunningMd5,
    pub(super) record: UploadRecord,
    lease: Lease,
    /// How many bytes the last checkpoint's hash state covers.
    saved: u64,
    /// Provisional bytes since the last accept or rollback.
    provisional: u64,
    /// When the bytes were last flushed by this writer.
    flushed: Option<std::time::Instant>,
    /// When this writer was opened, and the offset then: for the transfer log.
    opened: std::time::Instant,
    start: u64,
}

impl Writer {
    /// Takes the upload's lease, opens its bytes and rebuilds the running MD5 from the last
    /// checkpoint (re-hashing what it does not cover).
    pub(super) async fn open(
        inner: &Inner,
        record: UploadRecord,
        handle: Option<Box<dyn StagingHandle>>,
        holder: &str,
    ) -> Result<Writer> {
        let lease = inner
            .meta
            .lease_take(&record.id, holder, inner.config.lease_ttl)
            .await?;
        match Self::open_leased(inner, record, handle, lease.clone()).await {
            Ok(w) => Ok(w),
            Err(e) => {
                let _ = inner.meta.lease_release(&lease).await;
                Err(e)
            }
        }
    }

    async fn open_leased(
        inner: &Inner,
        record: UploadRecord,
        handle: Option<Box<dyn StagingHandle>>,
        lease: Lease,
    ) -> Result<Writer> {
        let handle = match handle {
            Some(h) => h,
            None => inner.uploads.open(&record.id).await?,
        };
        let len = handle.len();
        // The record's checkpoint, or the one the store kept with its bytes if that covers
        // more (bytes shipped after the record's were saved, see `HashCheckpoint`).
        let from_record = record
            .hash_state
            .as_deref()
            .map(|state| (record.hashed, state));
        let from_store = handle
            .hash_checkpoint()
            .map(|h| (h.covered, h.state.as_str()));
        let restored = [from_record, from_store]
            .into_iter()
            .flatten()
            .filter(|&(covered, _)| covered <= len)
            .filter_map(|(covered, state)| Some((restore(state)?, covered)))
            .max_by_key(|&(_, covered)| covered);
        let (mut hasher, hashed) = restored.unwrap_or_else(|| (Md5::new(), 0));
        if hashed < len {
            tracing::info!(upload = %record.id, from = hashed, to = len, "re-hashing staged bytes");
            let mut at = hashed;
            while at < len {
                let want = (len - at).min(BLOCK as u64) as usize;
                let block = inner.uploads.read_range(&record.id, at, want).await?;
                if block.is_empty() {
                    return Err(Error::internal("staged bytes shrank while re-hashing"));
                }
                at += block.len() as u64;
                hasher = hash(hasher, block).await?;
            }
        }
        Ok(Writer {
            handle,
            md5: RunningMd5::new(hasher, len, inner.hash_behind.clone()),
            record,
            lease,
            saved: hashed,
            provisional: 0,
            flushed: None,
            opened: std::time::Instant::now(),
            start: len,
        })
    }

    /// Accepted bytes: the offset.
    pub(super) fn offset(&self) -> u64 {
        self.handle.len()
    }

    /// Accepted plus provisional bytes.
    pub(super) fn written(&self) -> u64 {
        self.handle.len() + self.provisional
    }

    /// The state clients see.
    pub(super) fn info(&self) -> UploadInfo {
        UploadInfo {
            id: self.record.id,
            path: self.record.path.clone(),
            size: self.record.size,
            offset: self.offset(),
            md5: self.record.md5,
            expires: self.record.expires,
            length_deferred: self.record.deferred,
        }
    }

    /// The MD5 of every accepted byte (waiting for the last block's hash).
    pub(super) async fn md5(&mut self) -> Result<crate::md5hex::Md5Digest> {
        self.md5.digest().await
    }

    /// Appends one block provisionally. Its hash is started, not waited for: it runs while the
    /// store writes this block and the door answers and receives the next.
    pub(super) async fn append(&mut self, data: Bytes) -> Result<()> {
        let n = data.len() as u64;
        self.md5.update(data.clone()).await?;
        self.provisional += n;
        // A block hashed in step is still hashed beside its write, not after it.
        let (written, hashed) = tokio::join!(self.handle.append(data), self.md5.finish_in_step());
        hashed?;
        written
    }

    /// Makes the provisional bytes part of the upload; checkpoints when due.
    pub(super) async fn accept(&mut self, inner: &Inner) -> Result<()> {
        if self.provisional == 0 {
            return Ok(());
        }
        if self.handle.accept_hides() {
            // The store cannot read these bytes back: it keeps the hash over them instead,
            // in the same write as the accept.
            let state = self.md5.all_hashed().await?;
            let hash = HashCheckpoint {
                covered: self.written(),
                state: hex::encode(state.serialize()),
            };
            self.handle.accept_hashed(hash).await?;
        } else {
            self.handle.accept().await?;
        }
        self.md5.accept().await?;
        self.provisional = 0;
        if self.offset().saturating_sub(self.saved) >= inner.config.checkpoint_bytes {
            self.checkpoint(inner).await?;
            // Out to disk in the background: the two checkpoint intervals before here (the
            // older one is mostly clean by now and leaves the cache, the newer one starts).
            let span = 2 * inner.config.checkpoint_bytes;
            let offset = self.offset();
            let from = offset.saturating_sub(span);
            self.handle.write_behind(from, offset - from);
        }
        Ok(())
    }

    /// Makes the accepted bytes visible to the store's other calls and other nodes (see
    /// `StagingHandle::flush`): before a commit reads them, and when a writer closes.
    pub(super) async fn flush(&mut self) -> Result<()> {
        self.handle.flush().await?;
        self.flushed = Some(std::time::Instant::now());
        Ok(())
    }

    /// [`flush`](Self::flush) at the end of a request, if due: the writer's first request, or
    /// [`FLUSH_INTERVAL`] since the last flush. A client that streams many small requests (the
    /// raw door's 1 MiB `upload_write`s) then pays for one flush a second, not one per
    /// request, while what it was told stays at most that far ahead of what another node
    /// would find.
    pub(super) async fn flush_if_due(&mut self) -> Result<()> {
        match self.flushed {
            Some(at) if at.elapsed() < FLUSH_INTERVAL => Ok(()),
            _ => self.flush().await,
        }
    }

    /// Drops the provisional bytes and their share of the running MD5.
    pub(super) async fn rollback(&mut self) -> Result<()> {
        // The staged bytes are cut back even if the hash cannot follow (its stage failed:
        // then the upload cannot commit until reopened, which re-hashes from a checkpoint).
        let hashed = self.md5.rollback().await;
        self.provisional = 0;
        self.handle.rollback().await?;
        hashed
    }

    /// Saves the running MD5 with the record (under the lease, which it renews). The state
    /// saved may trail the offset by the block still being hashed; a writer opened from it
    /// re-hashes those bytes.
    pub(super) async fn checkpoint(&mut self, inner: &Inner) -> Result<()> {
        let (state, covered) = self.md5.checkpoint();
        self.record.hash_state = Some(hex::encode(state.serialize()));
        self.record.hashed = covered;
        self.record.expires = unix_now() + inner.config.upload_ttl.as_secs() as i64;
        inner
            .meta
            .lease_renew(&self.lease, inner.config.lease_ttl)
            .await?;
        inner.meta.save_upload(&self.record, &self.lease).await?;
        self.saved = covered;
        Ok(())
    }

    /// Renews the lease when a new request starts writing.
    pub(super) async fn renew(&self, inner: &Inner) -> Result<()> {
        inner
            .meta
            .lease_renew(&self.lease, inner.config.lease_ttl)
            .await
    }

    /// Closes the writer, keeping the upload: checkpoint, then the lease is given up.
    pub(super) async fn close(mut self, inner: &Inner) {
        if let Err(e) = self.rollback().await {
            tracing::warn!(upload = %self.record.id, error = ?e, "rollback on close failed");
        }
        if let Err(e) = self.md5.settled().await {
            tracing::warn!(upload = %self.record.id, error = ?e, "hashing failed on close");
        }
        if let Err(e) = self.handle.flush().await {
            tracing::warn!(upload = %self.record.id, error = ?e, "flush on close failed");
        }
        if self.saved < self.offset()
            && let Err(e) = self.checkpoint(inner).await
        {
            tracing::warn!(upload = %self.record.id, error = ?e, "checkpoint on close failed");
        }
        self.log("paused");
        self.end(inner).await;
    }

    /// Gives the lease up after the upload was committed or discarded.
    pub(super) async fn end(self, inner: &Inner) {
        let _ = inner.meta.lease_release(&self.lease).await;
    }

    /// One log line per writer: who, what, how much, how long, how it ended.
    pub(super) fn log(&self, result: &str) {
        tracing::info!(
            user = self.record.user.as_str(),
            upload = %self.record.id,
            path = self.record.path.to_string().as_str(),
            bytes = self.offset().saturating_sub(self.start),
            offset = self.offset(),
            size = self.record.size,
            duration_ms = self.opened.elapsed().as_millis() as u64,
            result,
            "upload"
        );
    }
}

/// A hash state saved by a checkpoint; `None` if it does not parse (then the bytes are hashed
/// again from an older one).
fn restore(state: &str) -> Option<Md5> {
    let bytes = hex::decode(state).ok()?;
    Md5::deserialize(bytes.as_slice().try_into().ok()?).ok()
}

/// Hashes one block on the blocking pool.
async fn hash(mut hasher: Md5, block: Bytes) -> Result<Md5> {
    tokio::task::spawn_blocking(move || {
        hasher.update(&block);
        hasher
    })
    .await
    .map_err(Error::internal)
}
