//! [`LocalBlobStore`]: the data folder behind the async [`FileStore`] seam; an operation is one
//! trip to the blocking pool running [`Disk`]'s confined filesystem code, or none where it
//! cannot wait for the disk (see [`LocalBlobStore::run`]).

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use ferry_core::md5hex::Md5Digest;
use ferry_core::model::Entry;
use ferry_core::path::HomePath;
use ferry_core::store::{FileRead, FileStore, ListPage, Listed, Move, OpenedFile};
use ferry_core::username::Username;
use ferry_core::{Error, Result};

use crate::cached;
use crate::disk::Disk;

/// Homes, staging and digests under a data folder. Clones share one store.
#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    pub(crate) disk: Arc<Disk>,
}

impl LocalBlobStore {
    /// Opens (creating if needed) `DATA/homes`, `DATA/state/staging`, `DATA/state/digests`.
    pub fn open(data_dir: &Path) -> Result<Self> {
        Ok(LocalBlobStore {
            disk: Arc::new(Disk::open_dir(data_dir)?),
        })
    }

    /// Runs `f` on the disk off the async threads: for operations that write file bytes,
    /// sync, walk a tree or list a folder, and for reads the page cache cannot answer.
    ///
    /// The metadata calls on one name (stat, the home's `mkdirat` at login, opening a file)
    /// run on the calling thread instead: page-cache lookups far under tokio's ~100 µs budget
    /// between awaits, where a trip to the blocking pool costs two thread wake-ups (1 000 HTTP
    /// PUTs of 4 KiB, strace -c -f on the server: 62 futex calls per PUT with every operation
    /// on the pool, against 27 before the seams were async). So do reads the page cache
    /// already holds ([`cached`](crate::cached)).
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Disk) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let disk = self.disk.clone();
        tokio::task::spawn_blocking(move || f(&disk))
            .await
            .map_err(Error::internal)?
    }
}

/// A committed file opened for reading: positional reads (`pread`), so one handle serves any
/// offset and the version opened is the version read.
#[derive(Debug)]
struct LocalFile(Arc<File>);

#[async_trait]
impl FileRead for LocalFile {
    async fn read_at(&self, offset: u64, max: usize) -> Result<Bytes> {
        if let Some(bytes) = cached::read(&self.0, offset, max) {
            return Ok(bytes);
        }
        let file = self.0.clone();
        tokio::task::spawn_blocking(move || read_at(&file, offset, max))
            .await
            .map_err(Error::internal)?
    }
}

/// Up to `max` bytes at `offset`, fewer only at the end of the file.
pub(crate) fn read_at(file: &File, offset: u64, max: usize) -> Result<Bytes> {
    ferry_core::read_buf::read_at(file, offset, max).map_err(Error::internal)
}

#[async_trait]
impl FileStore for LocalBlobStore {
    async fn create_home(&self, user: &Username) -> Result<()> {
        // On every login: one `mkdirat` that finds the folder there; see `run` for why
        // this stays on the calling thread.
        self.disk.create_home(user)
    }

    fn local_home(&self, user: &Username) -> Option<std::path::PathBuf> {
        self.disk.local_home(user)
    }

    async fn remove_home(&self, user: &Username) -> Result<()> {
        let user = user.clone();
        self.run(move |d| d.remove_home(&user)).await
    }

    async fn stat(&self, user: &Username, path: &HomePath) -> Result<Entry> {
        // One confined `statx` and a small digest record: on the calling thread (see `run`).
        self.disk.stat(user, path)
    }

    async fn lstat(&self, user: &Username, path: &HomePath) -> Result<Entry> {
        self.disk.lstat(user, path)
    }

    async fn list(&self, user: &Username, dir: &HomePath, page: ListPage) -> Result<Listed> {
        let (user, dir) = (user.clone(), dir.clone());
        self.run(move |d| d.list(&user, &dir, &page)).await
    }

    async fn mkdir(&self, user: &Username, path: &HomePath, parents: bool) -> Result<Entry> {
        let (user, path) = (user.clone(), path.clone());
        self.run(move |d| d.mkdir(&user, &path, parents)).await
    }

    async fn remove(&self, user: &Username, path: &HomePath, recursive: bool) -> Result<u64> {
        let (user, path) = (user.clone(), path.clone());
        self.run(move |d| d.remove(&user, &path, recursive)).await
    }

    async fn rename(&self, user: &Username, m: &Move) -> Result<(Entry, u64)> {
        let (user, m) = (user.clone(), m.clone());
        self.run(move |d| d.rename(&user, &m)).await
    }

    async fn open(&self, user: &Username, path: &HomePath) -> Result<OpenedFile> {
        // Metadata calls on one name: on the calling thread (see `run`).
        let (file, entry, version) = self.disk.open(user, path)?;
        Ok(OpenedFile {
            reader: Box::new(LocalFile(Arc::new(file))),
            entry,
            version,
        })
    }

    async fn open_inline(
        &self,
        user: &Username,
        path: &HomePath,
        inline: usize,
    ) -> Result<(OpenedFile, Option<Bytes>)> {
        let opened = self.open(user, path).await?;
        let size = opened.entry.size;
        if size > inline as u64 {
            return Ok((opened, None));
        }
        // From the page cache on this thread, from the disk on the pool (see `LocalFile`).
        let whole = opened.reader.read_at(0, size as usize).await?;
        Ok((opened, Some(whole).filter(|b| b.len() as u64 == size)))
    }

    async fn remember_digest(&self, user: &Username, version: &str, md5: &Md5Digest) -> Result<()> {
        let (user, version, md5) = (user.clone(), version.to_owned(), *md5);
        self.run(move |d| d.remember_digest(&user, &version, &md5))
            .await
    }

    async fn usage(&self, user: &Username) -> Result<u64> {
        let user = user.clone();
        self.run(move |d| d.usage(&user)).await
    }
}
