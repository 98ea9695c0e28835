//! An upload open for appending ([`StagingHandle`]): provisional bytes in memory until
//! accepted; an accept ships every full part and writes the rest as a new tail piece, then
//! the manifest (the drawing is in `uploads`). An accept that ships a part is handed the MD5
//! state over every byte (`accept_hashed`) and writes it in that manifest.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use ferry_core::store::{HashCheckpoint, StagingHandle};
use ferry_core::upload_id::UploadId;
use ferry_core::{Error, Result};
use object_store::multipart::MultipartStore;
use object_store::{ObjectStoreExt, PutPayload};

use crate::config::Bucket;
use crate::manifest::{Manifest, Part, Piece};

/// An upload open for appending: its manifest, the tail's bytes (under a part) and the
/// provisional bytes, both in memory.
#[derive(Debug)]
pub(crate) struct S3Staging {
    pub(crate) bucket: Arc<Bucket>,
    pub(crate) id: UploadId,
    pub(crate) manifest: Manifest,
    pub(crate) tail: BytesMut,
    pub(crate) provisional: Vec<Bytes>,
}

impl S3Staging {
    fn provisional_len(&self) -> u64 {
        self.provisional.iter().map(|b| b.len() as u64).sum()
    }

    /// Ships one full part; creates the multipart upload with the first.
    async fn ship(&self, m: &mut Manifest, part: Bytes) -> Result<()> {
        debug_assert_eq!(part.len() as u64, m.part_size);
        let key = self.bucket.keys.staged(&self.id);
        let upload = match &m.multipart {
            Some(id) => id.clone(),
            None => {
                let id = self
                    .bucket
                    .s3
                    .create_multipart(&key)
                    .await
                    .map_err(Error::internal)?;
                m.multipart = Some(id.clone());
                id
            }
        };
        let size = part.len() as u64;
        let shipped = self
            .bucket
            .s3
            .put_part(&key, &upload, m.parts.len(), PutPayload::from(part))
            .await
            .map_err(Error::internal)?;
        m.parts.push(Part {
            id: shipped.content_id,
            size,
        });
        Ok(())
    }

    /// Accepts the provisional bytes; `hash`, if given, is written in the same manifest.
    async fn accept_with(&mut self, hash: Option<HashCheckpoint>) -> Result<()> {
        let new = self.provisional_len();
        if new == 0 {
            return Ok(());
        }
        // Built on a copy: the handle changes only once the manifest is written, so a failed
        // accept leaves it as it was (a part shipped meanwhile is shipped again, same index).
        let mut m = self.manifest.clone();
        if hash.is_some() {
            m.hash = hash;
        }
        let mut fresh = BytesMut::new();
        let crosses = self.tail.len() as u64 + new >= m.part_size;
        if crosses {
            // The tail joins the new bytes: full parts go out, the rest is the new tail.
            let part_size = m.part_size as usize;
            fresh = self.tail.clone();
            for b in &self.provisional {
                fresh.extend_from_slice(b);
            }
            while fresh.len() >= part_size {
                let part = fresh.split_to(part_size).freeze();
                self.ship(&mut m, part).await?;
            }
            m.pieces.clear();
        } else {
            for b in &self.provisional {
                fresh.extend_from_slice(b);
            }
        }
        let fresh = fresh.freeze();
        if !fresh.is_empty() {
            let n = m.next_piece;
            m.next_piece += 1;
            self.bucket
                .s3
                .put(
                    &self.bucket.keys.piece(&self.id, n),
                    PutPayload::from(fresh.clone()),
                )
                .await
                .map_err(Error::internal)?;
            m.pieces.push(Piece {
                n,
                size: fresh.len() as u64,
            });
        }
        self.bucket.save_manifest(&self.id, &m).await?;
        let dropped: Vec<_> = self
            .manifest
            .pieces
            .iter()
            .filter(|p| !m.pieces.contains(p))
            .map(|p| self.bucket.keys.piece(&self.id, p.n))
            .collect();
        if crosses {
            self.tail.clear();
        }
        self.tail.extend_from_slice(&fresh);
        self.manifest = m;
        self.provisional.clear();
        if !dropped.is_empty()
            && let Err(e) = self.bucket.delete_all(dropped).await
        {
            // Unreferenced now; deleted with the upload at the latest.
            tracing::warn!(upload = %self.id, error = %e, "could not delete old tail pieces");
        }
        Ok(())
    }
}

#[async_trait]
impl StagingHandle for S3Staging {
    fn len(&self) -> u64 {
        self.manifest.accepted()
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
        let after = self.manifest.accepted() + self.provisional_len();
        if hash.covered != after {
            return Err(Error::internal(format!(
                "a hash over {} bytes handed with an accept up to {after}",
                hash.covered
            )));
        }
        self.accept_with(Some(hash)).await
    }

    fn hash_checkpoint(&self) -> Option<&HashCheckpoint> {
        self.manifest.hash.as_ref()
    }

    async fn rollback(&mut self) -> Result<()> {
        self.provisional.clear();
        Ok(())
    }

    async fn sync(&mut self) -> Result<()> {
        // Accepted bytes are in the object store once `accept` returns.
        Ok(())
    }
}
