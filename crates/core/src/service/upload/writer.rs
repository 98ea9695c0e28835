//! The [`Writer`]: an upload's open staging file with its running MD5, and the three things
//! done to it — open (rebuilding the hash from the last checkpoint), append, checkpoint.

use std::io::{Read, Seek, SeekFrom, Write};

use md5::digest::common::hazmat::SerializableState;
use md5::{Digest, Md5};

use super::BLOCK;
use crate::model::unix_now;
use crate::service::Inner;
use crate::store::{StagingFile, UploadRecord};
use crate::{Error, Result};

/// Blocks at least this large are hashed on a second thread while being written; below it a
/// thread costs more than it saves.
const PARALLEL_HASH_MIN: usize = 256 * 1024;

/// An upload being written: staging file, running MD5, record.
#[derive(Debug)]
pub(super) struct Writer {
    pub(super) file: Box<dyn StagingFile>,
    pub(super) hasher: Md5,
    pub(super) offset: u64,
    pub(super) record: UploadRecord,
    unsaved: u64,
    /// When this session took the upload, and what it added since: for the transfer log.
    opened: std::time::Instant,
    start: u64,
}

/// Where a writer stood before a write, to go back there if the write is refused.
#[derive(Debug, Clone)]
pub(super) struct Mark {
    offset: u64,
    hasher: Md5,
    unsaved: u64,
}

impl Writer {
    /// One log line per upload session: who, what, how much, how long, how it ended.
    pub(super) fn log(&self, result: &str) {
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

    /// The current position, to [`Inner::rewind`] to.
    pub(super) fn mark(&self) -> Mark {
        Mark {
            offset: self.offset,
            hasher: self.hasher.clone(),
            unsaved: self.unsaved,
        }
    }
}

impl Inner {
    pub(super) fn checkpoint(&self, w: &mut Writer) -> Result<()> {
        w.record.hash_state = Some(hex::encode(w.hasher.serialize()));
        w.record.hashed = w.offset;
        w.record.expires = unix_now() + self.config.upload_ttl.as_secs() as i64;
        self.meta.put_upload(&w.record)?;
        w.unsaved = 0;
        Ok(())
    }

    /// Opens the staging file and rebuilds the running MD5 from the last checkpoint.
    pub(super) fn open_writer(&self, record: UploadRecord) -> Result<Writer> {
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
    pub(super) fn append(&self, w: &mut Writer, data: &[u8]) -> Result<()> {
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
            // Out to disk in the background: the two checkpoint intervals before here (the
            // older one is mostly clean by now and leaves the cache, the newer one starts).
            let span = 2 * self.config.checkpoint_bytes;
            let from = w.offset.saturating_sub(span);
            w.file.write_behind(from, w.offset - from);
        }
        Ok(())
    }

    /// Cuts the staging file back to `mark` and restores the running MD5 there. A checkpoint
    /// taken meanwhile covers bytes that are gone, so it is replaced by one at `mark`.
    pub(super) fn rewind(&self, w: &mut Writer, mark: Mark) -> Result<()> {
        w.file.truncate(mark.offset)?;
        w.offset = mark.offset;
        w.hasher = mark.hasher;
        w.unsaved = mark.unsaved;
        if w.record.hashed > mark.offset {
            self.checkpoint(w)?;
        }
        Ok(())
    }
}
