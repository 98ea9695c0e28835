//! Where an upload may land: its parent folder must be a folder, and is created (as `mkdir -p`)
//! unless the door asks for the strict behaviour.
//!
//! Every door creates parents by default — `ferry put movie.mkv /videos/`, `curl -T` to a new
//! folder and a tus upload with a new `folder` all just work — so the choice is made here, once,
//! and a door only passes on the client's wish to refuse (`parents: false` on the TCP door's
//! `upload_create`, `?parents=false` on the HTTP door).

use crate::HomePath;
use crate::model::{EntryKind, UploadInfo};
use crate::service::{Inner, Session};
use crate::username::Username;
use crate::{Error, Result};

/// How [`Session::upload_create_with`] starts an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateOptions {
    /// Replace an existing file at the target when the upload commits.
    pub overwrite: bool,
    /// Create missing parent folders first, as `mkdir -p` does; without, a missing parent is
    /// `not_found`.
    pub parents: bool,
}

impl Default for CreateOptions {
    /// No overwrite; parents created.
    fn default() -> Self {
        CreateOptions {
            overwrite: false,
            parents: true,
        }
    }
}

impl Session {
    /// Creates an upload of `size` bytes to `input`, reserving quota; missing parent folders
    /// are created. [`Session::upload_create_with`] can refuse them instead.
    pub async fn upload_create(
        &mut self,
        input: &str,
        size: u64,
        md5: Option<&str>,
        overwrite: bool,
    ) -> Result<UploadInfo> {
        let options = CreateOptions {
            overwrite,
            parents: true,
        };
        self.upload_create_with(input, size, md5, options).await
    }
}

impl Inner {
    /// Checks that `path`'s parent is a folder, creating it and its missing ancestors first
    /// when `parents` allows. The usual case (the folder exists) costs one `stat`, as before.
    pub(super) async fn ensure_parent(
        &self,
        user: &Username,
        path: &HomePath,
        parents: bool,
    ) -> Result<()> {
        let parent = path.parent();
        let entry = match self.files.stat(user, &parent).await {
            Err(Error::NotFound(_)) if parents => self.files.mkdir(user, &parent, true).await?,
            found => found?,
        };
        if entry.kind != EntryKind::Dir {
            return Err(Error::NotADirectory(parent.to_string()));
        }
        Ok(())
    }
}
