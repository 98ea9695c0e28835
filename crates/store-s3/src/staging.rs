//! An upload open for appending ([`StagingHandle`]), shaped for an object store whose every
//! write costs a replicated round trip (tens of milliseconds on Garage):
//!
//! - An accept only adds the bytes to the tail in memory. Each full part is cut from the tail
//!   and shipped at once, in the background, up to [`IN_FLIGHT`] parts at a time, so the
//!   next bytes arrive while earlier parts travel.
//! - A flush (the end of every request, before its answer; a writer closing; and every
//!   [`FLUSH_EVERY`] bytes within a long request) waits for the parts in flight, writes the
//!   unsaved tail as one new piece, then the manifest, then deletes the pieces it no longer
//!   lists. The manifest is the commit point: another node continues from the last one
//!   saved, and a client told an offset (at the end of a request) finds it there.
//! - An accept that ships a part is handed the MD5 state over every byte (`accept_hashed`),
//!   kept in the manifest with the parts; the bytes after it are all in the tail.
//!
//! A node that dies loses the bytes accepted since its last flush, which no client was told
//! of; the parts it shipped meanwhile are overwritten (same index) when another node gets
//! there. A part that fails after the object store's own retries breaks the handle: every
//! later call fails and the engine reopens the upload from the last manifest.

use std::collections::VecDeque;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use ferry_core::store::{HashCheckpoint, StagingHandle};
use ferry_core::upload_id::UploadId;
use ferry_core::{Error, Result};
use object_store::multipart::{MultipartStore, PartId};
use object_store::{ObjectStoreExt, PutPayload};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::config::Bucket;
use crate::manifest::{Manifest, Part, Piece};
use crate::uploads::S3UploadStore;

/// Parts shipping at once per upload: enough to keep a replicated store busy (the direct
/// `object_store` reference in `ferry-bench` keeps 8 in flight). Server-wide, the store's
/// part budget (`S3UploadStore`) bounds the memory they hold.
const IN_FLIGHT: usize = 8;

/// A long request flushes after this many accepted bytes, so a node that dies mid-request
/// loses at most this much.
const FLUSH_EVERY: u64 = 64 * 1024 * 1024;

/// An upload open for appending.
#[derive(Debug)]
pub(crate) struct S3Staging {
    pub(crate) bucket: Arc<Bucket>,
    pub(crate) id: UploadId,
    /// The manifest as last saved.
    pub(crate) saved: Manifest,
    /// The manifest as it will be saved: parts shipped, pieces still holding tail bytes, the
    /// latest hash.
    pub(crate) manifest: Manifest,
    /// Parts being shipped, in index order after `manifest.parts`.
    pub(crate) in_flight: VecDeque<JoinHandle<Result<PartId>>>,
    /// Accepted bytes after every part (shipped or in flight); its last `unsaved` bytes are in
    /// no saved piece.
    pub(crate) tail: BytesMut,
    pub(crate) unsaved: usize,
    pub(crate) provisional: Vec<Bytes>,
    /// Why the handle is broken, if a part failed.
    pub(crate) broken: Option<String>,
    /// The store's server-wide budget of parts in flight.
    pub(crate) budget: Arc<Semaphore>,
}

impl S3Staging {
    /// A handle on an upload whose last saved manifest is `manifest`, its tail `tail`.
    pub(crate) fn new(
        store: &S3UploadStore,
        id: UploadId,
        manifest: Manifest,
        tail: BytesMut,
    ) -> Self {
        S3Staging {
            budget: store.budget.clone(),
            bucket: store.bucket.clone(),
            id,
            saved: manifest.clone(),
            manifest,
            in_flight: VecDeque::new(),
            tail,
            unsaved: 0,
            provisional: Vec::new(),
            broken: None,
        }
    }

    fn provisional_len(&self) -> u64 {
        self.provisional.iter().map(|b| b.len() as u64).sum()
    }

    fn check(&self) -> Result<()> {
        match &self.broken {
            None => Ok(()),
            Some(why) => Err(Error::internal(format!(
                "an earlier part of this upload failed ({why}); it continues from its last \
                 saved state once reopened"
            ))),
        }
    }

    /// Starts shipping one full part; creates the multipart upload with the first.
    async fn ship(&mut self, part: Bytes) -> Result<()> {
        debug_assert_eq!(part.len() as u64, self.manifest.part_size);
        let key = self.bucket.keys.staged(&self.id);
        let upload = match &self.manifest.multipart {
            Some(id) => id.clone(),
            None => {
                let id = self
                    .bucket
                    .s3
                    .create_multipart(&key)
                    .await
                    .map_err(Error::internal)?;
                self.manifest.multipart = Some(id.clone());
                id
            }
        };
        while self.in_flight.len() >= IN_FLIGHT {
            self.landed().await?;
        }
        // Waits for room in the server-wide budget, which the part holds until it landed.
        let permit = self
            .budget
            .clone()
            .acquire_owned()
            .await
            .map_err(Error::internal)?;
        let index = self.manifest.parts.len() + self.in_flight.len();
        let bucket = self.bucket.clone();
        self.in_flight.push_back(tokio::spawn(async move {
            let _permit = permit;
            bucket
                .s3
                .put_part(&key, &upload, index, PutPayload::from(part))
                .await
                .map_err(Error::internal)
        }));
        Ok(())
    }

    /// Waits for the oldest part in flight and lists it; a failure breaks the handle.
    async fn landed(&mut self) -> Result<()> {
        let Some(task) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let shipped = task.await.map_err(Error::internal).and_then(|r| r);
        match shipped {
            Ok(part) => {
                self.manifest.parts.push(Part {
                    id: part.content_id,
                    size: self.manifest.part_size,
                });
                Ok(())
            }
            Err(e) => {
                self.broken = Some(e.to_string());
                for task in self.in_flight.drain(..) {
                    task.abort();
                }
                self.check()
            }
        }
    }

    /// Accepts the provisional bytes; `hash`, if given, goes in the next manifest.
    async fn accept_with(&mut self, hash: Option<HashCheckpoint>) -> Result<()> {
        self.check()?;
        if self.provisional.is_empty() {
            return Ok(());
        }
        for b in self.provisional.drain(..) {
            self.tail.extend_from_slice(&b);
            self.unsaved += b.len();
        }
        if hash.is_some() {
            self.manifest.hash = hash;
        }
        let part_size = self.manifest.part_size as usize;
        if self.tail.len() >= part_size {
            while self.tail.len() >= part_size {
                let part = self.tail.split_to(part_size).freeze();
                self.ship(part).await?;
            }
            // Every piece held bytes now in a part: what is left is all unsaved.
            self.manifest.pieces.clear();
            self.unsaved = self.tail.len();
        }
        if self.len() - self.saved.accepted() >= FLUSH_EVERY {
            self.flush().await?;
        }
        Ok(())
    }
}

#[async_trait]
impl StagingHandle for S3Staging {
    fn len(&self) -> u64 {
        let parts = (self.manifest.parts.len() + self.in_flight.len()) as u64;
        parts * self.manifest.part_size + self.tail.len() as u64
    }

    async fn append(&mut self, data: Bytes) -> Result<()> {
        self.provisional.push(data);
        Ok(())
    }

    async fn accept(&mut self) -> Result<()> {
        self.accept_with(None).await
    }

    fn accept_hides(&self) -> bool {
        self.tail.len() as u64 + self.provisional_len() >= self.manifest.part_size
    }

    async fn accept_hashed(&mut self, hash: HashCheckpoint) -> Result<()> {
        let after = self.len() + self.provisional_len();
        if hash.covered != after {
            return Err(Error::internal(format!(
                "a hash over {} bytes handed with an accept up to {after}",
                hash.covered
            )));
        }
        self.accept_with(Some(hash)).await
    }

    fn hash_checkpoint(&self) -> Option<&HashCheckpoint> {
        self.saved.hash.as_ref()
    }

    async fn rollback(&mut self) -> Result<()> {
        self.provisional.clear();
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        self.check()?;
        while !self.in_flight.is_empty() {
            self.landed().await?;
        }
        if self.unsaved > 0 {
            let fresh = Bytes::copy_from_slice(&self.tail[self.tail.len() - self.unsaved..]);
            let n = self.manifest.next_piece;
            self.manifest.next_piece += 1;
            self.bucket
                .s3
                .put(
                    &self.bucket.keys.piece(&self.id, n),
                    PutPayload::from(fresh),
                )
                .await
                .map_err(Error::internal)?;
            self.manifest.pieces.push(Piece {
                n,
                size: self.unsaved as u64,
            });
            self.unsaved = 0;
        }
        if self.manifest == self.saved {
            return Ok(());
        }
        self.bucket.save_manifest(&self.id, &self.manifest).await?;
        let dropped: Vec<_> = self
            .saved
            .pieces
            .iter()
            .filter(|p| !self.manifest.pieces.contains(p))
            .map(|p| self.bucket.keys.piece(&self.id, p.n))
            .collect();
        self.saved = self.manifest.clone();
        if !dropped.is_empty()
            && let Err(e) = self.bucket.delete_all(dropped).await
        {
            // Unreferenced now; deleted with the upload at the latest.
            tracing::warn!(upload = %self.id, error = %e, "could not delete old tail pieces");
        }
        Ok(())
    }

    async fn sync(&mut self) -> Result<()> {
        // Saved bytes are in the object store already.
        self.flush().await
    }
}

impl Drop for S3Staging {
    fn drop(&mut self) {
        // Parts not yet listed in a saved manifest are orphans either way.
        for task in self.in_flight.drain(..) {
            task.abort();
        }
    }
}
