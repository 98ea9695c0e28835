//! The upload-bytes seam: what an unfinished upload's bytes need, shaped so that an object
//! store can implement it (parts and a tail) as well as a local staging file.
//!
//! Bytes arrive through a [`StagingHandle`] that the engine keeps open between requests. An
//! append is *provisional* until [`StagingHandle::accept`]: a chunk whose digest turns out
//! wrong is dropped with [`StagingHandle::rollback`], which never touches bytes accepted
//! before. Nothing here seeks or truncates accepted bytes, so an implementation may ship them
//! off (a multipart part) as soon as they are accepted. The accepted length *is* the upload's
//! offset (as in tusd's file store). Accepted bytes may be held by the handle until
//! [`StagingHandle::flush`], which the engine calls before it tells a client an offset.
//!
//! A writer opened after another one died re-hashes, with [`UploadStore::read_range`], the
//! accepted bytes its last checkpoint does not cover. A store that cannot read some accepted
//! bytes back (shipped parts) says so before the accept that ships them
//! ([`StagingHandle::accept_hides`]); the engine then hands it the MD5 state over every byte
//! with that accept ([`StagingHandle::accept_hashed`]), and the store keeps the two together,
//! in one write, so that no crash can leave bytes that are neither readable nor hashed.

use std::fmt;
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::meta::UploadRecord;
use crate::Result;
use crate::md5hex::Md5Digest;
use crate::model::Entry;
use crate::upload_id::UploadId;

/// The running MD5's state over an upload's first `covered` bytes, serialized (hex): what a
/// writer continues hashing from without reading those bytes back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashCheckpoint {
    pub covered: u64,
    pub state: String,
}

/// An upload's bytes, open for appending.
#[async_trait]
pub trait StagingHandle: Send + Sync + fmt::Debug {
    /// Accepted bytes: the upload's offset.
    fn len(&self) -> u64;
    /// Whether nothing is accepted yet.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Appends `data` after everything appended so far, provisionally.
    async fn append(&mut self, data: Bytes) -> Result<()>;
    /// Makes every provisional byte part of the upload.
    async fn accept(&mut self) -> Result<()>;
    /// Whether [`accept`](Self::accept) would put accepted bytes out of
    /// [`UploadStore::read_range`]'s reach (ship them as parts). The engine then calls
    /// [`accept_hashed`](Self::accept_hashed) instead. A store that can read back every
    /// accepted byte keeps the default, `false`.
    fn accept_hides(&self) -> bool {
        false
    }
    /// [`accept`](Self::accept), keeping `hash` (over every byte once accepted: `covered` is
    /// the new length) in the same durable write as the accept, where
    /// [`hash_checkpoint`](Self::hash_checkpoint) finds it on any node.
    async fn accept_hashed(&mut self, hash: HashCheckpoint) -> Result<()> {
        let _ = hash;
        self.accept().await
    }
    /// The hash the last [`accept_hashed`](Self::accept_hashed) kept, if any. Every accepted
    /// byte it does not cover can be read back.
    fn hash_checkpoint(&self) -> Option<&HashCheckpoint> {
        None
    }
    /// Drops the provisional bytes; accepted ones stay as they are.
    async fn rollback(&mut self) -> Result<()>;
    /// Makes the accepted bytes visible to this store's other calls and to other nodes
    /// ([`UploadStore::open`], `len`, `read_range`, `seal`, `commit`): the engine calls it when
    /// a request ends, before its answer tells the client an offset, and when it closes a
    /// writer. A store that gathers accepted bytes (to write fewer, larger objects) writes
    /// them out here; one whose accept already did keeps the default. An error may leave the
    /// handle unusable: the engine then drops it and opens the upload again.
    async fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    /// Makes the accepted bytes durable.
    async fn sync(&mut self) -> Result<()>;
    /// Hints that accepted bytes `[offset, offset + len)` will not be read again soon: a store
    /// may start writing them out now, so that the [`sync`](Self::sync) at commit has little
    /// left to do. Only a hint (the default does nothing).
    fn write_behind(&mut self, _offset: u64, _len: u64) {}
}

/// Unfinished uploads' bytes.
#[async_trait]
pub trait UploadStore: Send + Sync + fmt::Debug {
    /// Creates an upload's empty byte store and opens it for appending (the first write
    /// usually follows at once).
    async fn create(&self, id: &UploadId) -> Result<Box<dyn StagingHandle>>;
    /// [`create`](Self::create) for a *transient* upload (a whole file in one request, see
    /// `MetaStore::create_transient_upload`): its bytes need not outlive the returned handle
    /// or survive a restart, so a store may keep them unnamed until the commit. The upload is
    /// committed while this handle is open; once the handle is dropped, `open`, `len`,
    /// `read_range` and `commit` may answer `upload_not_found`. Given the whole record, so a
    /// store may place the bytes near where they will be committed.
    async fn create_transient(&self, upload: &UploadRecord) -> Result<Box<dyn StagingHandle>> {
        self.create(&upload.id).await
    }
    /// Opens an upload's bytes for appending; `upload_not_found` if there are none.
    async fn open(&self, id: &UploadId) -> Result<Box<dyn StagingHandle>>;
    /// Accepted bytes of an upload not open here; `upload_not_found` if there are none.
    async fn len(&self, id: &UploadId) -> Result<u64>;
    /// Up to `max` accepted bytes from `offset` (re-hashing after a restart). Every accepted
    /// byte past the handle's [`hash_checkpoint`](StagingHandle::hash_checkpoint) is readable;
    /// bytes before it may not be (`internal`).
    async fn read_range(&self, id: &UploadId, offset: u64, max: usize) -> Result<Bytes>;
    /// Makes every accepted byte of a complete upload readable with
    /// [`read_range`](Self::read_range) (assembling shipped parts), ahead of a commit that
    /// must read them (a SHA-256 to check). Nothing is appended after it. The default does
    /// nothing: a store that can read every byte back already can.
    async fn seal(&self, id: &UploadId) -> Result<()> {
        let _ = id;
        Ok(())
    }
    /// Makes a complete upload's accepted bytes durable, then atomically moves them to its
    /// record's `path` in its owner's home, as a file whose MD5 is `md5`, durably: once this
    /// returns the file survives a crash. Without the record's `overwrite` an existing target
    /// is never replaced. Returns the entry and the bytes of the file it replaced.
    async fn commit(&self, upload: &UploadRecord, md5: &Md5Digest) -> Result<(Entry, u64)>;
    /// Deletes an upload's bytes (absent is fine).
    async fn discard(&self, id: &UploadId) -> Result<()>;
    /// Uploads whose bytes were last written before `cutoff`: the janitor discards those that
    /// have no record (a transient upload's bytes left by a crash, see
    /// `MetaStore::create_transient_upload`).
    async fn staged_before(&self, cutoff: SystemTime) -> Result<Vec<UploadId>>;
}
