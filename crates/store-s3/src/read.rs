//! [`S3File`]: one version of a file, read through streamed GETs.
//!
//! A download reads a file front to back in blocks. One ranged GET per block would pay a
//! request's round trip (tens of milliseconds on a replicated cluster) for every block, so a
//! read opens one GET from its offset to the end of the file and keeps the response streaming:
//! the next read that starts where this one ended takes its bytes from the same response. A
//! read anywhere else (a resumed download, a `Range` request) opens a new GET there. Every GET
//! is `If-Match` the version's ETag, so a file replaced meanwhile fails the read rather than
//! mixing versions.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use ferry_core::path::HomePath;
use ferry_core::store::FileRead;
use ferry_core::{Error, Result};
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{GetOptions, ObjectStore};
use tokio::sync::Mutex;

use crate::config::{Bucket, is_not_found};

/// One version of a file.
#[derive(Debug)]
pub(crate) struct S3File {
    bucket: Arc<Bucket>,
    key: Path,
    path: HomePath,
    etag: String,
    size: u64,
    /// The response the last read took its bytes from, if it has more.
    open: Mutex<Option<Streaming>>,
}

/// A GET response being read: the offset of its next byte, and bytes received past the last
/// read.
struct Streaming {
    at: u64,
    body: BoxStream<'static, object_store::Result<Bytes>>,
    pending: Bytes,
}

impl std::fmt::Debug for Streaming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streaming").field("at", &self.at).finish()
    }
}

impl S3File {
    pub(crate) fn new(
        bucket: Arc<Bucket>,
        key: Path,
        path: HomePath,
        etag: String,
        size: u64,
    ) -> Self {
        S3File {
            bucket,
            key,
            path,
            etag,
            size,
            open: Mutex::new(None),
        }
    }

    fn changed(&self) -> Error {
        tracing::info!(path = %self.path, "file replaced or removed while being read");
        Error::NotFound(self.path.to_string())
    }

    /// A GET of this version from `offset` to the end.
    async fn get_from(&self, offset: u64) -> Result<Streaming> {
        let options = GetOptions {
            range: Some((offset..self.size).into()),
            if_match: Some(self.etag.clone()),
            ..GetOptions::default()
        };
        let got = match self.bucket.s3.get_opts(&self.key, options).await {
            Ok(got) => got,
            Err(object_store::Error::Precondition { .. }) => return Err(self.changed()),
            Err(e) if is_not_found(&e) => return Err(self.changed()),
            Err(e) => return Err(Error::internal(e)),
        };
        // Also checked here: a store that ignored If-Match must not mix versions either.
        if got.meta.e_tag.as_deref() != Some(self.etag.as_str()) {
            return Err(self.changed());
        }
        Ok(Streaming {
            at: offset,
            body: got.into_stream(),
            pending: Bytes::new(),
        })
    }
}

#[async_trait]
impl FileRead for S3File {
    async fn read_at(&self, offset: u64, max: usize) -> Result<Bytes> {
        if offset >= self.size || max == 0 {
            return Ok(Bytes::new());
        }
        let want = (self.size - offset).min(max as u64) as usize;
        let mut open = self.open.lock().await;
        let mut s = match open.take() {
            Some(s) if s.at == offset => s,
            _ => self.get_from(offset).await?,
        };
        let mut out = BytesMut::new();
        let got = loop {
            if s.pending.is_empty() {
                match s.body.next().await {
                    Some(chunk) => s.pending = chunk.map_err(Error::internal)?,
                    None => return Err(Error::internal("an S3 response ended short")),
                }
            }
            let need = want - out.len();
            if out.is_empty() && s.pending.len() >= need {
                // The whole read in one received chunk: no copy.
                break s.pending.split_to(need);
            }
            let n = need.min(s.pending.len());
            out.reserve(need);
            out.extend_from_slice(&s.pending.split_to(n));
            if out.len() == want {
                break out.freeze();
            }
        };
        s.at += got.len() as u64;
        if s.at < self.size {
            *open = Some(s);
        }
        Ok(got)
    }
}
