//! [`S3FileStore`]: the homes as key prefixes `homes/USER/…` (layout in the crate docs).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ferry_core::md5hex::Md5Digest;
use ferry_core::model::{Entry, EntryKind};
use ferry_core::path::HomePath;
use ferry_core::store::{FileStore, ListPage, Listed, Move, OpenedFile};
use ferry_core::username::Username;
use ferry_core::{Error, Result};
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload};

use crate::config::{Bucket, S3Config, is_not_found};
use crate::keys::{DIR_MARKER, name_of};
use crate::objects::Found;
use crate::read::S3File;

/// Homes in a bucket. Clones share one client.
#[derive(Debug, Clone)]
pub struct S3FileStore {
    pub(crate) bucket: Arc<Bucket>,
    /// Homes whose marker this process wrote: a login then costs no request.
    homes_made: Arc<Mutex<HashSet<Username>>>,
}

impl S3FileStore {
    /// A store over the bucket `config` names.
    pub fn new(config: &S3Config) -> Result<Self> {
        Ok(S3FileStore {
            bucket: Bucket::connect(config)?,
            homes_made: Arc::default(),
        })
    }
}

pub(crate) fn dir_entry(path: &HomePath, modified: i64) -> Entry {
    Entry {
        name: path.name().unwrap_or("").to_string(),
        path: path.clone(),
        kind: EntryKind::Dir,
        size: 0,
        modified,
        md5: None,
    }
}

pub(crate) fn file_entry(path: &HomePath, meta: &ObjectMeta, md5: Option<Md5Digest>) -> Entry {
    Entry {
        name: path.name().unwrap_or("").to_string(),
        path: path.clone(),
        kind: EntryKind::File,
        size: meta.size,
        modified: meta.last_modified.timestamp(),
        md5,
    }
}

#[async_trait]
impl FileStore for S3FileStore {
    async fn create_home(&self, user: &Username) -> Result<()> {
        if self.homes_made.lock().expect("lock").contains(user) {
            return Ok(());
        }
        let marker = self.bucket.keys.home(user).join(DIR_MARKER);
        self.bucket
            .s3
            .put(&marker, PutPayload::new())
            .await
            .map_err(Error::internal)?;
        self.homes_made.lock().expect("lock").insert(user.clone());
        Ok(())
    }

    async fn remove_home(&self, user: &Username) -> Result<()> {
        self.homes_made.lock().expect("lock").remove(user);
        let all = self.bucket.all_below(&self.bucket.keys.home(user)).await?;
        self.bucket
            .delete_all(all.into_iter().map(|o| o.location).collect())
            .await
    }

    async fn stat(&self, user: &Username, path: &HomePath) -> Result<Entry> {
        match self.bucket.find(user, path).await? {
            Found::File(meta) => Ok(file_entry(path, &meta, None)),
            Found::Dir { modified } => Ok(dir_entry(path, modified)),
            Found::Missing => Err(Error::NotFound(path.to_string())),
        }
    }

    async fn list(&self, user: &Username, dir: &HomePath, page: ListPage) -> Result<Listed> {
        self.bucket.need_dir(user, dir).await?;
        let prefix = self.bucket.keys.entry(user, dir);
        let listed = self
            .bucket
            .s3
            .list_with_delimiter(Some(&prefix))
            .await
            .map_err(Error::internal)?;
        let mut entries = Vec::new();
        let mut skipped = 0;
        for key in &listed.common_prefixes {
            match name_of(key).and_then(|n| dir.join(&n).ok()) {
                Some(path) => entries.push(dir_entry(&path, 0)),
                None => skipped += 1,
            }
        }
        for meta in &listed.objects {
            let Some(name) = name_of(&meta.location) else {
                skipped += 1;
                continue;
            };
            if name == DIR_MARKER {
                continue;
            }
            match dir.join(&name) {
                Ok(path) => entries.push(file_entry(&path, meta, None)),
                Err(_) => skipped += 1,
            }
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(after) = page.after.as_deref() {
            entries.retain(|e| e.name.as_str() > after);
        }
        let more = entries.len() > page.limit;
        entries.truncate(page.limit);
        Ok(Listed {
            entries,
            more,
            skipped,
        })
    }

    async fn mkdir(&self, user: &Username, path: &HomePath, parents: bool) -> Result<Entry> {
        if path.is_root() {
            return if parents {
                Ok(dir_entry(path, 0))
            } else {
                Err(Error::AlreadyExists("/".into()))
            };
        }
        match self.bucket.find(user, path).await? {
            Found::File(_) => return Err(Error::AlreadyExists(path.to_string())),
            Found::Dir { modified } if parents => return Ok(dir_entry(path, modified)),
            Found::Dir { .. } => return Err(Error::AlreadyExists(path.to_string())),
            Found::Missing => {}
        }
        if parents {
            // Each missing ancestor gets its own marker, so it outlives its subfolder.
            let mut ancestor = HomePath::root();
            for part in &path.parts()[..path.parts().len() - 1] {
                ancestor = ancestor.join(part)?;
                match self.bucket.find(user, &ancestor).await? {
                    Found::Dir { .. } => {}
                    Found::File(_) => return Err(Error::NotADirectory(ancestor.to_string())),
                    Found::Missing => self.put_marker(user, &ancestor).await?,
                }
            }
        } else {
            self.bucket
                .need_dir(user, &path.parent())
                .await
                .map_err(|e| match e {
                    Error::NotFound(_) => Error::NotFound(path.to_string()),
                    e => e,
                })?;
        }
        self.put_marker(user, path).await?;
        Ok(dir_entry(path, ferry_core::model::unix_now()))
    }

    async fn remove(&self, user: &Username, path: &HomePath, recursive: bool) -> Result<u64> {
        crate::tree::remove(&self.bucket, user, path, recursive).await
    }

    async fn rename(&self, user: &Username, m: &Move) -> Result<(Entry, u64)> {
        crate::tree::rename(&self.bucket, user, m).await
    }

    async fn open(&self, user: &Username, path: &HomePath) -> Result<OpenedFile> {
        let key = self.bucket.keys.entry(user, path);
        let meta = match self.bucket.s3.head(&key).await {
            Ok(meta) => meta,
            Err(e) if is_not_found(&e) => {
                return match self.bucket.find(user, path).await? {
                    Found::Dir { .. } => Err(Error::IsADirectory(path.to_string())),
                    _ => Err(Error::NotFound(path.to_string())),
                };
            }
            Err(e) => return Err(Error::internal(e)),
        };
        let etag = meta
            .e_tag
            .clone()
            .ok_or_else(|| Error::internal("the object store sent no ETag"))?;
        let md5 = self.bucket.digest(&etag).await?;
        Ok(OpenedFile {
            entry: file_entry(path, &meta, md5),
            reader: Box::new(S3File::new(
                self.bucket.clone(),
                key,
                path.clone(),
                etag.clone(),
                meta.size,
            )),
            version: etag,
        })
    }

    async fn remember_digest(
        &self,
        _user: &Username,
        version: &str,
        md5: &Md5Digest,
    ) -> Result<()> {
        self.bucket.remember(version, md5).await
    }

    async fn usage(&self, user: &Username) -> Result<u64> {
        let all = self.bucket.all_below(&self.bucket.keys.home(user)).await?;
        Ok(all.iter().map(|o| o.size).sum())
    }
}

impl S3FileStore {
    async fn put_marker(&self, user: &Username, path: &HomePath) -> Result<()> {
        self.bucket
            .s3
            .put(&self.bucket.keys.marker(user, path), PutPayload::new())
            .await
            .map_err(Error::internal)?;
        Ok(())
    }
}
