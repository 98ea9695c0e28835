//! [`S3UploadStore`]: an unfinished upload's bytes as a multipart upload of fixed-size parts
//! plus tail pieces, its state in a manifest (see `manifest`) that any node can pick up.
//!
//! ```text
//!  accepted bytes:  | part 0 | part 1 | ... | part n-1 | piece | piece | ... |
//!                   '---- put_part, each exactly part_size ----'--- < part_size ---'
//! ```
//!
//! Ferry cuts the parts itself, every one exactly the part size: S3 refuses non-final parts
//! under 5 MiB, but Garage accepts them, so nothing else would catch a short one. Bytes short
//! of a part are written as a tail piece at each flush (the end of a request: only the new
//! bytes, so a part's worth of small requests is written about twice, not once per request);
//! once the tail reaches a part, the part is shipped and the pieces deleted. The final, short
//! part is the tail, sent at commit. When each is written is in `staging`.
//!
//! Parts shipped cannot be read back before the multipart upload is completed (S3 has no read
//! of a part), so [`UploadStore::read_range`] serves only the tail until then. A writer
//! continued after its node died does not need more: every accept that ships a part says so
//! beforehand (`accept_hides`) and is handed the MD5 state over every byte, which it writes in
//! the same manifest as the parts; the bytes after that state are all in the tail. A complete
//! upload whose bytes must be read again (a SHA-256 to check) is first sealed: the multipart
//! upload is completed into `uploads/ID/data`, which serves every range, and the commit then
//! only copies it.

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use ferry_core::md5hex::Md5Digest;
use ferry_core::model::Entry;
use ferry_core::store::{StagingHandle, UploadRecord, UploadStore};
use ferry_core::upload_id::UploadId;
use ferry_core::{Error, Result};
use futures::TryStreamExt;
use object_store::multipart::MultipartStore;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::sync::Semaphore;

use crate::config::{Bucket, S3Config, is_not_found};
use crate::keys::MANIFEST;
use crate::manifest::Manifest;
use crate::staging::S3Staging;

/// The part size unless set otherwise: 8 MiB, over S3's 5 MiB minimum, and 10 000 parts
/// (S3's maximum) make 80 GiB.
pub const DEFAULT_PART_SIZE: u64 = 8 * 1024 * 1024;
/// S3's smallest non-final part.
const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

/// Parts in flight server-wide (see `staging`): 16 parts of 8 MiB hold 128 MiB at most.
const PART_BUDGET: usize = 16;

/// Unfinished uploads in a bucket. Clones share one client and one budget of parts in flight.
#[derive(Debug, Clone)]
pub struct S3UploadStore {
    pub(crate) bucket: Arc<Bucket>,
    part_size: u64,
    pub(crate) budget: Arc<Semaphore>,
}

impl S3UploadStore {
    /// A store over the bucket `config` names, cutting parts of [`DEFAULT_PART_SIZE`].
    pub fn new(config: &S3Config) -> Result<Self> {
        Ok(S3UploadStore {
            bucket: Bucket::connect(config)?,
            part_size: DEFAULT_PART_SIZE,
            budget: Arc::new(Semaphore::new(PART_BUDGET)),
        })
    }

    /// The same store cutting new uploads' parts at `size` bytes (at least 5 MiB; uploads
    /// already begun keep theirs).
    pub fn with_part_size(mut self, size: u64) -> Result<Self> {
        if size < MIN_PART_SIZE {
            return Err(Error::BadRequest(format!(
                "an S3 part must be at least {MIN_PART_SIZE} bytes"
            )));
        }
        self.part_size = size;
        Ok(self)
    }

    /// The sizes of the parts an upload has shipped so far, from its manifest (every one is
    /// the part size; for tests and diagnostics).
    pub async fn part_sizes(&self, id: &UploadId) -> Result<Vec<u64>> {
        Ok(self
            .bucket
            .manifest(id)
            .await?
            .parts
            .iter()
            .map(|p| p.size)
            .collect())
    }
}

#[async_trait]
impl UploadStore for S3UploadStore {
    async fn create(&self, id: &UploadId) -> Result<Box<dyn StagingHandle>> {
        let manifest = Manifest::new(self.part_size);
        self.bucket.save_manifest(id, &manifest).await?;
        Ok(Box::new(S3Staging::new(
            self,
            *id,
            manifest,
            BytesMut::new(),
        )))
    }

    async fn open(&self, id: &UploadId) -> Result<Box<dyn StagingHandle>> {
        let manifest = self.bucket.manifest(id).await?;
        let tail = self.bucket.tail(id, &manifest).await?;
        Ok(Box::new(S3Staging::new(self, *id, manifest, tail)))
    }

    async fn len(&self, id: &UploadId) -> Result<u64> {
        Ok(self.bucket.manifest(id).await?.accepted())
    }

    async fn read_range(&self, id: &UploadId, offset: u64, max: usize) -> Result<Bytes> {
        let m = self.bucket.manifest(id).await?;
        if m.assembled {
            let to = offset.saturating_add(max as u64).min(m.accepted());
            if offset >= to {
                return Ok(Bytes::new());
            }
            let staged = self.bucket.keys.staged(id);
            return self
                .bucket
                .s3
                .get_range(&staged, offset..to)
                .await
                .map_err(Error::internal);
        }
        let shipped = m.parts_len();
        if offset < shipped {
            return Err(Error::internal(
                "bytes shipped as multipart parts cannot be read before the commit",
            ));
        }
        let tail = self.bucket.tail(id, &m).await?;
        let from = ((offset - shipped) as usize).min(tail.len());
        let to = from.saturating_add(max).min(tail.len());
        Ok(tail.freeze().slice(from..to))
    }

    async fn seal(&self, id: &UploadId) -> Result<()> {
        let mut m = self.bucket.manifest(id).await?;
        match m.multipart.clone() {
            Some(multipart) if !m.assembled => {
                crate::commit::assemble(&self.bucket, id, &mut m, &multipart).await
            }
            // All in the tail, or assembled already: readable as it is.
            _ => Ok(()),
        }
    }

    async fn commit(&self, upload: &UploadRecord, md5: &Md5Digest) -> Result<(Entry, u64)> {
        crate::commit::commit(&self.bucket, upload, md5).await
    }

    async fn discard(&self, id: &UploadId) -> Result<()> {
        match self.bucket.manifest(id).await {
            Ok(Manifest {
                multipart: Some(upload),
                assembled: false,
                ..
            }) => {
                let key = self.bucket.keys.staged(id);
                match self.bucket.s3.abort_multipart(&key, &upload).await {
                    Err(e) if !is_not_found(&e) => return Err(Error::internal(e)),
                    _ => {}
                }
            }
            Ok(_) | Err(Error::UploadNotFound(_)) => {}
            Err(e) => return Err(e),
        }
        let all = self.bucket.all_below(&self.bucket.keys.upload(id)).await?;
        // The manifest last: an upload cut short while discarded can be discarded again.
        let mut keys: Vec<_> = all.into_iter().map(|o| o.location).collect();
        keys.sort_by_key(|k| k.filename() == Some(MANIFEST));
        self.bucket.delete_all(keys).await
    }

    async fn staged_before(&self, cutoff: SystemTime) -> Result<Vec<UploadId>> {
        let all: Vec<_> = self
            .bucket
            .s3
            .list(Some(&self.bucket.keys.uploads()))
            .try_collect()
            .await
            .map_err(Error::internal)?;
        Ok(all
            .iter()
            .filter(|o| o.location.filename() == Some(MANIFEST))
            .filter(|o| SystemTime::from(o.last_modified) < cutoff)
            .filter_map(|o| {
                let mut parts: Vec<_> = o.location.parts().collect();
                parts.pop();
                UploadId::parse(parts.last()?.as_ref()).ok()
            })
            .collect())
    }
}
