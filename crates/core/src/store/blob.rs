//! The file-bytes seam: homes, staging files for uploads, and remembered digests.
//!
//! [`BlobStore`] is the only interface through which the service touches file bytes; the
//! embedded implementation is [`super::local_blob::LocalBlobStore`]. An object-store
//! implementation can keep staging on local disk and commit by multipart upload. Methods are
//! blocking; the service calls them from blocking tasks.

use std::fmt;
use std::io::{Read, Seek, Write};

use crate::Result;
use crate::md5hex::Md5Digest;
use crate::model::Entry;
use crate::path::HomePath;
use crate::upload_id::UploadId;
use crate::username::Username;

/// A readable, seekable file handed out for downloads.
pub trait BlobRead: Read + Seek + Send + Sync + fmt::Debug {}
impl<T: Read + Seek + Send + Sync + fmt::Debug> BlobRead for T {}

/// An upload's staging file. Its length is the upload's offset.
pub trait StagingFile: Read + Write + Seek + Send + Sync + fmt::Debug {
    /// Current length in bytes.
    fn len(&self) -> Result<u64>;
    /// Whether nothing has been written yet.
    fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }
    /// Cuts the file back to `len` bytes (drops a rejected chunk).
    fn truncate(&mut self, len: u64) -> Result<()>;
    /// Flushes data to stable storage.
    fn sync(&mut self) -> Result<()>;
    /// Hints that bytes `[offset, offset + len)` are written and will not be read again
    /// soon: a store may start writing them out now, so that the [`sync`](Self::sync) at
    /// commit has little left to do. Only a hint (the default does nothing): durability still
    /// comes from `sync`.
    fn write_behind(&mut self, _offset: u64, _len: u64) {}
}

/// A file opened for reading, with what is known about it.
#[derive(Debug)]
pub struct OpenedFile {
    /// The bytes.
    pub reader: Box<dyn BlobRead>,
    /// Its metadata; `md5` is set when remembered.
    pub entry: Entry,
    /// Identifies this exact version of the file for [`BlobStore::remember_digest`].
    pub version: String,
}

/// Homes, staging and digests.
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// Creates the user's home if missing.
    fn create_home(&self, user: &Username) -> Result<()>;
    /// The home's absolute path on this machine's filesystem, where commands run (exec);
    /// `None` for stores that keep files elsewhere, which makes exec unavailable.
    fn local_home(&self, _user: &Username) -> Option<std::path::PathBuf> {
        None
    }
    /// Deletes the user's home and everything in it.
    fn remove_home(&self, user: &Username) -> Result<()>;
    /// Metadata of an entry (symlinks followed while inside the home).
    fn stat(&self, user: &Username, path: &HomePath) -> Result<Entry>;
    /// One page of a folder: entries sorted by name, those after `after`, at most `limit`;
    /// the second value is whether more follow.
    fn list(
        &self,
        user: &Username,
        dir: &HomePath,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<Entry>, bool)>;
    /// Creates a folder (and its parents with `parents`; an existing folder is then fine).
    fn mkdir(&self, user: &Username, path: &HomePath, parents: bool) -> Result<Entry>;
    /// Removes a file, or a folder with `recursive`; returns the file bytes freed.
    fn remove(&self, user: &Username, path: &HomePath, recursive: bool) -> Result<u64>;
    /// Moves an entry; returns the new entry and the bytes of a file it replaced.
    fn rename(
        &self,
        user: &Username,
        from: &HomePath,
        to: &HomePath,
        overwrite: bool,
    ) -> Result<(Entry, u64)>;
    /// Opens a regular file for reading; FIFOs, devices and sockets are refused unopened.
    fn open(&self, user: &Username, path: &HomePath) -> Result<OpenedFile>;
    /// Remembers the MD5 of the file version `version`.
    fn remember_digest(&self, user: &Username, version: &str, md5: &Md5Digest) -> Result<()>;
    /// Bytes used by the user's committed files.
    fn usage(&self, user: &Username) -> Result<u64>;
    /// Opens (or with `create`, creates empty) an upload's staging file.
    fn staging(&self, id: &UploadId, create: bool) -> Result<Box<dyn StagingFile>>;
    /// Deletes a staging file (absent is fine).
    fn remove_staging(&self, id: &UploadId) -> Result<()>;
    /// Atomically moves a complete, synced staging file to `path` in the user's home; without
    /// `overwrite` an existing target is never replaced. Returns the entry and replaced bytes.
    fn commit(
        &self,
        id: &UploadId,
        user: &Username,
        path: &HomePath,
        overwrite: bool,
        md5: &Md5Digest,
    ) -> Result<(Entry, u64)>;
}
