//! The upload engine: resumable, MD5-verified uploads, one engine for every door.
//!
//! Bytes go to the [`UploadStore`](crate::store::UploadStore) outside every home; its accepted
//! length *is* the offset. Every door appends through one call, [`Session::append`], which
//! checks the offset, writes what the reader yields, checks an optional chunk digest (a
//! mismatching chunk is rolled back, never the bytes before it), and commits when asked.
//!
//! A writer outlives a request: an upload's open staging handle, running MD5 and lease stay in
//! the engine-wide [`Registry`] between requests, so a sequence of HTTP chunks reads the record
//! and opens the staging bytes once, not per chunk. A writer unused for
//! [`Config::writer_idle`](super::Config::writer_idle) is checkpointed and closed by
//! [`Ferry::release_idle_writers`](super::Ferry::release_idle_writers), and all are on
//! [`Ferry::shutdown`](super::Ferry::shutdown); nothing is released with I/O inside `Drop`.
//!
//! The running MD5 is checkpointed into the upload record every `checkpoint_bytes`, so after a
//! crash (even `kill -9`) only the bytes since the last checkpoint are re-hashed. A checkpoint is
//! trusted only if the staged bytes are at least as long as what it covers; otherwise the whole
//! prefix is re-hashed. At commit the MD5 is compared, the bytes synced and moved into place
//! atomically: a target never holds a partial file.
//!
//! - [`registry`]: open writers between requests, the per-session claim (one writer per upload).
//! - [`claim`]: claiming an upload and locking its writer; closing writers.
//! - [`preempt`]: newer request wins: a newer request ends an older one's body read.
//! - [`writer`]: the open staging handle with its running MD5 and lease.
//! - [`running_md5`]: the MD5 hashed behind the bytes, so hashing never waits.
//! - [`hash_stage`]: an upload's own hashing thread, fed by a bounded queue.
//! - [`append`]: the one append call.
//! - [`job`]: an append owned, run in a task of its own when it may commit.
//! - [`commit`]: verification and the atomic commit.
//! - [`put`]: a whole file in one call, never left behind.
//! - [`lifecycle`]: create, list, status, cancel, expiry.
//! - [`length`]: uploads whose length is stated after creation.
//! - [`completed`]: uploads committed lately, still answerable for a while.
//! - [`repr_digest`]: the whole file's SHA-256, when one was announced.
//! - [`parents`]: the target's parent folder, created as `mkdir -p` unless refused.

mod append;
mod claim;
mod commit;
mod completed;
mod hash_stage;
mod job;
mod length;
mod lifecycle;
mod orphans;
mod parents;
mod preempt;
mod put;
mod registry;
mod repr_digest;
mod running_md5;
mod writer;

pub use append::{AppendOptions, Commit};
pub use length::NewUpload;
pub use parents::CreateOptions;
pub use put::{BodyChecks, Put};
pub(super) use registry::{Registry, Slot};
pub(super) use running_md5::HashBehind;

use crate::model::{Entry, UploadInfo};

/// Largest block moved at once when reading from an `AsyncRead`, and when re-hashing staged
/// bytes.
const BLOCK: usize = 1 << 20;

/// An upload's state after an append: where it stands, and the committed file when this call
/// committed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadState {
    /// Offset, size, expected MD5, expiry.
    pub info: UploadInfo,
    /// The committed entry, when the upload completed and was committed by this call.
    pub entry: Option<Entry>,
}

impl UploadState {
    /// Whether every byte is held.
    pub fn complete(&self) -> bool {
        self.info.offset == self.info.size
    }
}
