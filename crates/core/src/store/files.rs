//! The homes seam: every operation on users' committed files and folders.
//!
//! [`FileStore`] is the only interface through which the service touches a home. Paths are
//! [`HomePath`]s, which can only name something inside the home; an implementation keeps them
//! there also against symlinks and races (the local store uses cap-std and `renameat2`).

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;

use crate::Result;
use crate::md5hex::Md5Digest;
use crate::model::Entry;
use crate::path::HomePath;
use crate::username::Username;

/// A committed file opened for reading: positional reads from the one version that was
/// opened, so a download never mixes two versions of a file that is replaced meanwhile.
#[async_trait]
pub trait FileRead: Send + Sync + fmt::Debug {
    /// Up to `max` bytes from `offset`; fewer only at the end of the file.
    async fn read_at(&self, offset: u64, max: usize) -> Result<Bytes>;
}

/// A file opened for reading, with what is known about it.
#[derive(Debug)]
pub struct OpenedFile {
    /// The bytes.
    pub reader: Box<dyn FileRead>,
    /// Its metadata; `md5` is set when remembered.
    pub entry: Entry,
    /// Identifies this exact version of the file for [`FileStore::remember_digest`].
    pub version: String,
}

/// Which page of a folder to list: the entries after `after` in name order, at most `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    /// The last name of the previous page (`None`: from the start).
    pub after: Option<String>,
    /// The most entries to return.
    pub limit: usize,
}

/// One page of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Entries sorted by name.
    pub entries: Vec<Entry>,
    /// Whether more entries follow.
    pub more: bool,
    /// Names in the folder that no path can address (not UTF-8, a control character, a
    /// spelling whose NFC form opens another file): never listed, counted here (the whole
    /// folder's, on every page) so that a listing can say it is not the whole folder.
    pub skipped: u64,
}

/// A move inside one home: `from` becomes `to`, replacing an existing target only with
/// `overwrite`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// What moves.
    pub from: HomePath,
    /// Where it goes.
    pub to: HomePath,
    /// Whether an existing target may be replaced.
    pub overwrite: bool,
}

/// Homes, their files and folders, and remembered digests.
#[async_trait]
pub trait FileStore: Send + Sync + fmt::Debug {
    /// Creates the user's home if missing.
    async fn create_home(&self, user: &Username) -> Result<()>;
    /// The home's absolute path on this machine's filesystem, where commands run (exec);
    /// `None` for stores that keep files elsewhere, which makes exec unavailable.
    fn local_home(&self, _user: &Username) -> Option<std::path::PathBuf> {
        None
    }
    /// Deletes the user's home and everything in it.
    async fn remove_home(&self, user: &Username) -> Result<()>;
    /// Metadata of an entry (symlinks followed while inside the home).
    async fn stat(&self, user: &Username, path: &HomePath) -> Result<Entry>;
    /// Metadata of an entry without following a symlink at its last component (a symlink is
    /// `EntryKind::Symlink`). Share links use it to refuse paths through symlinks, which could
    /// lead anywhere in the owner's home. A store without symlinks keeps the default.
    async fn lstat(&self, user: &Username, path: &HomePath) -> Result<Entry> {
        self.stat(user, path).await
    }
    /// One page of a folder (which must be a folder: `not_a_directory` otherwise).
    async fn list(&self, user: &Username, dir: &HomePath, page: ListPage) -> Result<Listed>;
    /// Creates a folder (and its parents with `parents`; an existing folder is then fine).
    async fn mkdir(&self, user: &Username, path: &HomePath, parents: bool) -> Result<Entry>;
    /// Removes a file, or a folder with `recursive`; returns the file bytes freed.
    async fn remove(&self, user: &Username, path: &HomePath, recursive: bool) -> Result<u64>;
    /// Moves an entry; returns the new entry and the bytes of a file it replaced.
    async fn rename(&self, user: &Username, m: &Move) -> Result<(Entry, u64)>;
    /// Opens a regular file for reading; FIFOs, devices and sockets are refused unopened.
    async fn open(&self, user: &Username, path: &HomePath) -> Result<OpenedFile>;
    /// Like [`open`](Self::open), and when the file is at most `inline` bytes long also reads
    /// it whole (`None` otherwise, or if it was shorter than its size when read). A store
    /// that reaches its files with blocking calls does both in one step: a small download
    /// then costs one trip to the disk, not two.
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
        let bytes = opened.reader.read_at(0, size as usize).await?;
        let whole = (bytes.len() as u64 == size).then_some(bytes);
        Ok((opened, whole))
    }
    /// Remembers the MD5 of the file version `version`.
    async fn remember_digest(&self, user: &Username, version: &str, md5: &Md5Digest) -> Result<()>;
    /// Bytes used by the user's committed files.
    async fn usage(&self, user: &Username) -> Result<u64>;
}
