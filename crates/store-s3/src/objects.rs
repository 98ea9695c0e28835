//! What both stores ask the bucket: what a path is (a file, a folder, nothing), every object
//! below a prefix, batched deletes, and the MD5 remembered for a file version.

use bytes::Bytes;
use ferry_core::md5hex::Md5Digest;
use ferry_core::path::HomePath;
use ferry_core::username::Username;
use ferry_core::{Error, Result};
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload};

use crate::config::{Bucket, is_not_found};

/// What a path names.
#[derive(Debug)]
pub(crate) enum Found {
    File(ObjectMeta),
    /// A folder; `modified` from its marker or the first key below it (0 for the home).
    Dir {
        modified: i64,
    },
    Missing,
}

impl Bucket {
    /// What `path` is: a file (an object at its key), a folder (its marker or any key below
    /// it), or nothing.
    pub(crate) async fn find(&self, user: &Username, path: &HomePath) -> Result<Found> {
        if path.is_root() {
            return Ok(Found::Dir { modified: 0 });
        }
        let key = self.keys.entry(user, path);
        match self.s3.head(&key).await {
            Ok(meta) => return Ok(Found::File(meta)),
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(Error::internal(e)),
        }
        let mut below = self.s3.list(Some(&key));
        match below.try_next().await.map_err(Error::internal)? {
            Some(first) => Ok(Found::Dir {
                modified: first.last_modified.timestamp(),
            }),
            None => Ok(Found::Missing),
        }
    }

    /// `Ok` when `dir` is a folder: `not_found` or `not_a_directory` otherwise.
    pub(crate) async fn need_dir(&self, user: &Username, dir: &HomePath) -> Result<()> {
        match self.find(user, dir).await? {
            Found::Dir { .. } => Ok(()),
            Found::File(_) => Err(Error::NotADirectory(dir.to_string())),
            Found::Missing => Err(Error::NotFound(dir.to_string())),
        }
    }

    /// Every object below `prefix` (markers included).
    pub(crate) async fn all_below(&self, prefix: &Path) -> Result<Vec<ObjectMeta>> {
        self.s3
            .list(Some(prefix))
            .try_collect()
            .await
            .map_err(Error::internal)
    }

    /// Deletes `keys` in batches (absent keys are fine).
    pub(crate) async fn delete_all(&self, keys: Vec<Path>) -> Result<()> {
        let keys = futures::stream::iter(keys.into_iter().map(Ok)).boxed();
        self.s3
            .delete_stream(keys)
            .try_collect::<Vec<_>>()
            .await
            .map_err(Error::internal)?;
        Ok(())
    }

    /// The MD5 remembered for a file version, if any.
    pub(crate) async fn digest(&self, etag: &str) -> Result<Option<Md5Digest>> {
        match self.s3.get(&self.keys.digest(etag)).await {
            Ok(got) => {
                let text = got.bytes().await.map_err(Error::internal)?;
                Ok(std::str::from_utf8(&text)
                    .ok()
                    .and_then(|t| Md5Digest::parse(t).ok()))
            }
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(Error::internal(e)),
        }
    }

    pub(crate) async fn remember(&self, etag: &str, md5: &Md5Digest) -> Result<()> {
        let text = Bytes::from(md5.to_string());
        self.s3
            .put(&self.keys.digest(etag), PutPayload::from_bytes(text))
            .await
            .map_err(Error::internal)?;
        Ok(())
    }
}
