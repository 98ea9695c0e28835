//! What an opened link reads and writes. Every path a visitor names is relative to the shared
//! folder and resolved lexically inside it; then each of its components below the shared
//! folder is checked not to be a symlink (which could lead anywhere in the owner's home).
//! Listings and the zip walk leave symlinks and special files out.

use serde::Serialize;
use tokio::io::AsyncRead;

use super::ShareAccess;
use crate::model::{Entry, EntryKind, Listing};
use crate::path::HomePath;
use crate::service::{BodyChecks, CreateOptions, Download};
use crate::{Error, Result};

pub use crate::service::zip_walk::ZipItem as SharedFile;

/// What a visitor is told about a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicShare {
    /// The shared file's or folder's name.
    pub name: String,
    /// A folder rather than a file.
    pub folder: bool,
    /// A file's size in bytes (0 for a folder).
    pub size: u64,
    /// Unix seconds after which the link stops working; `null`: never.
    pub expires: Option<i64>,
    /// Downloads left; `null`: unlimited.
    pub downloads_left: Option<u64>,
    /// A drop box: uploads into the folder are accepted.
    pub upload: bool,
}

impl ShareAccess {
    fn root(&self) -> &HomePath {
        &self.record.path
    }

    /// What the link shows a visitor.
    pub async fn public(&self) -> Result<PublicShare> {
        let entry = self.owner.stat(&self.root().to_string(), false).await?;
        let name = match self.root().name() {
            Some(n) => n.to_string(),
            None => self.record.owner.to_string(),
        };
        Ok(PublicShare {
            name,
            folder: self.record.folder,
            size: if self.record.folder { 0 } else { entry.size },
            expires: self.record.expires,
            downloads_left: self
                .record
                .max_downloads
                .map(|m| m.saturating_sub(self.record.downloads)),
            upload: self.record.upload,
        })
    }

    /// The owner's path for `relative` (`""` is the shared file or folder itself); nothing
    /// outside the shared path, nothing through a symlink.
    pub async fn resolve(&self, relative: &str) -> Result<HomePath> {
        let relative = relative.trim_start_matches('/');
        if relative.is_empty() {
            return Ok(self.root().clone());
        }
        if !self.record.folder {
            return Err(Error::NotFound(relative.to_string()));
        }
        let path = HomePath::resolve(self.root(), relative)?;
        if !path.starts_with(self.root()) || path == *self.root() {
            return Err(Error::NotFound(relative.to_string()));
        }
        let files = &self.owner.ferry.inner.files;
        let mut at = self.root().clone();
        for part in &path.parts()[self.root().parts().len()..] {
            at = at.join(part)?;
            let kind = files.lstat(&self.record.owner, &at).await?.kind;
            if matches!(kind, EntryKind::Symlink | EntryKind::Other) {
                return Err(Error::NotFound(relative.to_string()));
            }
        }
        Ok(path)
    }

    /// `path` as a visitor sees it: from the shared folder, `/`-led.
    fn shown(&self, path: &HomePath) -> Result<HomePath> {
        let rest = &path.parts()[self.root().parts().len().min(path.parts().len())..];
        HomePath::resolve(&HomePath::root(), &rest.join("/"))
    }

    /// One page of a folder of the share, paths as the visitor sees them; symlinks and
    /// special files left out.
    pub async fn list(&self, relative: &str, after: Option<String>) -> Result<Listing> {
        if !self.record.folder {
            return Err(Error::ShareRefused("a file share has no folders".into()));
        }
        let path = self.resolve(relative).await?;
        let listing = self
            .owner
            .list(Some(&path.to_string()), after, None)
            .await?;
        let mut entries = Vec::with_capacity(listing.entries.len());
        for mut e in listing.entries {
            if matches!(e.kind, EntryKind::File | EntryKind::Dir) {
                e.path = self.shown(&e.path)?;
                entries.push(e);
            }
        }
        Ok(Listing {
            path: self.shown(&path)?,
            entries,
            next: listing.next,
            skipped: listing.skipped,
        })
    }

    /// Opens a file of the share from `offset`. With `count`, this is a new download and
    /// counts against the link's limit (`share_exhausted` when none is left; the file is
    /// opened first, so a missing file costs nothing).
    pub async fn download(&self, relative: &str, offset: u64, count: bool) -> Result<Download> {
        let path = self.resolve(relative).await?;
        let download = self.owner.open_download(&path.to_string(), offset).await?;
        if count {
            self.count().await?;
        }
        Ok(download)
    }

    /// Counts one download (a zip is one); `share_exhausted` when none is left.
    pub async fn count(&self) -> Result<()> {
        let meta = &self.owner.ferry.inner.meta;
        meta.count_share_download(&self.key).await.map(drop)
    }

    /// Every folder and file below the shared folder, parents before children, sorted by
    /// name within a folder; symlinks and special files left out. At most
    /// [`MAX_ZIP_ENTRIES`](crate::service::MAX_ZIP_ENTRIES) (`limit_reached` past it).
    pub async fn walk(&self) -> Result<Vec<SharedFile>> {
        if !self.record.folder {
            return Err(Error::ShareRefused(
                "a file share has no folder to zip".into(),
            ));
        }
        let mut out = Vec::new();
        self.owner
            .walk_for_zip(self.root(), String::new(), &mut out)
            .await?;
        Ok(out)
    }

    /// Opens one file of a [`walk`](Self::walk) for reading (not counted: the zip is).
    pub async fn open_walked(&self, file: &SharedFile) -> Result<Download> {
        self.owner
            .open_download(&file.entry.path.to_string(), 0)
            .await
    }

    /// Stores an upload into a drop box under `name` (one name, no folders), exactly `size`
    /// bytes, never replacing a file (`already_exists`), held to `checks` as any whole-file put
    /// is; counted against the owner's quota.
    pub async fn upload<R: AsyncRead + Unpin>(
        &mut self,
        name: &str,
        size: u64,
        body: R,
        checks: BodyChecks,
    ) -> Result<Entry> {
        if !self.record.upload {
            return Err(Error::ShareRefused("this link takes no uploads".into()));
        }
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(Error::InvalidPath(format!("{name:?} is not a file name")));
        }
        let path = self.root().join(name)?;
        let mut entry = self
            .owner
            .put_file_checked(
                &path.to_string(),
                size,
                body,
                checks,
                CreateOptions::default(),
            )
            .await?
            .entry;
        tracing::info!(
            owner = %self.record.owner, path = %entry.path, size, "drop-box upload"
        );
        entry.path = self.shown(&entry.path)?;
        Ok(entry)
    }
}
