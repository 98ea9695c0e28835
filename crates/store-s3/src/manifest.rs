//! An unfinished upload's state, kept as `uploads/ID/manifest.json` so that any node can
//! continue the upload: the multipart upload's id, the parts shipped, the tail pieces
//! holding accepted bytes short of a part, and the MD5 state over the parts.
//!
//! The manifest is rewritten after every accept and is the accept's commit point: new parts
//! and pieces are written before it, old pieces deleted after it, so a crash leaves at worst
//! unreferenced objects under `uploads/ID/` (deleted with the upload). Correctness across
//! nodes relies on the `MetaStore`'s fenced lease: only the lease holder appends, so no two
//! nodes rewrite one manifest at once (the object store itself has no compare-and-swap that
//! Garage honours).

use bytes::BytesMut;
use ferry_core::store::HashCheckpoint;
use ferry_core::upload_id::UploadId;
use ferry_core::{Error, Result};
use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

use crate::config::{Bucket, is_not_found};

/// One multipart part shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Part {
    /// What `put_part` returned (the part's ETag).
    pub(crate) id: String,
    /// Bytes in the part: always the manifest's `part_size` (only the final part, sent at
    /// commit, may be shorter).
    pub(crate) size: u64,
}

/// One tail piece: accepted bytes in `uploads/ID/tail-N`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Piece {
    pub(crate) n: u64,
    pub(crate) size: u64,
}

/// The upload's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    /// The part size this upload cuts at (kept: a node with another setting continues it).
    pub(crate) part_size: u64,
    /// The multipart upload, created with the first full part.
    pub(crate) multipart: Option<String>,
    pub(crate) parts: Vec<Part>,
    /// Accepted bytes after the parts, in order; together shorter than a part.
    pub(crate) pieces: Vec<Piece>,
    /// The next piece's number (a piece key is never reused).
    pub(crate) next_piece: u64,
    /// The multipart upload was completed into `uploads/ID/data` (a commit that stopped
    /// after that resumes with the copy).
    #[serde(default)]
    pub(crate) assembled: bool,
    /// The MD5 state the engine handed over with the last accept that shipped a part (see
    /// `StagingHandle::accept_hashed`): shipped bytes cannot be read back to hash them again,
    /// so a writer on another node continues from here.
    #[serde(default)]
    pub(crate) hash: Option<HashCheckpoint>,
}

impl Manifest {
    pub(crate) fn new(part_size: u64) -> Self {
        Manifest {
            part_size,
            multipart: None,
            parts: Vec::new(),
            pieces: Vec::new(),
            next_piece: 0,
            assembled: false,
            hash: None,
        }
    }

    pub(crate) fn parts_len(&self) -> u64 {
        self.parts.iter().map(|p| p.size).sum()
    }

    pub(crate) fn tail_len(&self) -> u64 {
        self.pieces.iter().map(|p| p.size).sum()
    }

    /// Accepted bytes: the upload's offset.
    pub(crate) fn accepted(&self) -> u64 {
        self.parts_len() + self.tail_len()
    }
}

impl Bucket {
    pub(crate) async fn manifest(&self, id: &UploadId) -> Result<Manifest> {
        let got = match self.s3.get(&self.keys.manifest(id)).await {
            Ok(got) => got,
            Err(e) if is_not_found(&e) => return Err(id.not_found()),
            Err(e) => return Err(Error::internal(e)),
        };
        let bytes = got.bytes().await.map_err(Error::internal)?;
        serde_json::from_slice(&bytes).map_err(Error::internal)
    }

    pub(crate) async fn save_manifest(&self, id: &UploadId, m: &Manifest) -> Result<()> {
        let json = serde_json::to_vec(m).map_err(Error::internal)?;
        self.s3
            .put(&self.keys.manifest(id), PutPayload::from(json))
            .await
            .map_err(Error::internal)?;
        Ok(())
    }

    /// The tail's bytes, all pieces in order.
    pub(crate) async fn tail(&self, id: &UploadId, m: &Manifest) -> Result<BytesMut> {
        let mut tail = BytesMut::with_capacity(m.tail_len() as usize);
        for piece in &m.pieces {
            let got = self
                .s3
                .get(&self.keys.piece(id, piece.n))
                .await
                .map_err(Error::internal)?;
            tail.extend_from_slice(&got.bytes().await.map_err(Error::internal)?);
        }
        if tail.len() as u64 != m.tail_len() {
            return Err(Error::internal("an upload's tail piece has the wrong size"));
        }
        Ok(tail)
    }
}
