//! Committing an upload: its staged bytes become a file in the home, durably, never
//! replacing one without `overwrite`. A named staging file is renamed into place; a transient
//! upload's unnamed one ([`crate::unnamed`]) is linked.

use std::fs as stdfs;
use std::io::ErrorKind;

use cap_std::fs::{Dir, MetadataExt as _};
use ferry_core::md5hex::Md5Digest;
use ferry_core::model::Entry;
use ferry_core::path::HomePath;
use ferry_core::store::UploadRecord;
use ferry_core::{Error, Result};

use super::{Disk, entry_from, io_err, parent_of, rename_flags};
use crate::unnamed;
use crate::version::Version;

impl Disk {
    pub(crate) fn commit(&self, upload: &UploadRecord, md5: &Md5Digest) -> Result<(Entry, u64)> {
        if let Some(file) = self.unnamed.get(&upload.id) {
            return self.commit_unnamed(&file, upload, md5);
        }
        let UploadRecord {
            id,
            user,
            path,
            overwrite,
            ..
        } = upload;
        let overwrite = *overwrite;
        let home = self.home(user)?;
        let (dir, name) = parent_of(&home, path)?;
        let name = name.as_str();
        let replaced = taken(&dir, name, path, overwrite)?;
        let staged = format!("{id}.part");
        // The bytes first, then the name: a crash never leaves the name on a file whose
        // bytes were not written out. Synced here rather than through the engine's open
        // handle, so a commit is one trip to the blocking pool, not two.
        self.staging
            .open(&staged)
            .and_then(|f| f.sync_data())
            .map_err(|e| io_err(e, path))?;
        rustix::fs::renameat_with(
            &self.staging,
            staged.as_str(),
            &dir,
            name,
            rename_flags(overwrite),
        )
        .map_err(|e| io_err(e.into(), path))?;
        Ok((self.named(&dir, name, path, md5)?, replaced))
    }

    /// [`Self::commit`] of a transient upload staged unnamed ([`crate::unnamed`]): one link
    /// into the target folder. Only a rename replaces a file, so an `overwrite` upload whose
    /// name is taken is first named in the staging folder and then committed as any other.
    fn commit_unnamed(
        &self,
        file: &stdfs::File,
        upload: &UploadRecord,
        md5: &Md5Digest,
    ) -> Result<(Entry, u64)> {
        let path = &upload.path;
        let home = self.home(&upload.user)?;
        let (dir, name) = parent_of(&home, path)?;
        // The bytes first, then the name, as in `commit`.
        if taken(&dir, &name, path, upload.overwrite)? == 0 {
            file.sync_data().map_err(|e| io_err(e, path))?;
            match unnamed::link(file, &dir, &name) {
                Ok(()) => {
                    self.unnamed.forget(&upload.id);
                    return Ok((self.named(&dir, &name, path, md5)?, 0));
                }
                // Taken since it was looked at: replaced below if that is allowed.
                Err(e) if e.kind() == ErrorKind::AlreadyExists && upload.overwrite => {}
                Err(e) => return Err(io_err(e, path)),
            }
        }
        let staged = format!("{}.part", upload.id);
        unnamed::link(file, &self.staging, &staged).map_err(|e| io_err(e, path))?;
        self.unnamed.forget(&upload.id);
        self.commit(upload, md5)
    }

    /// Makes a commit's new `name` in `dir` durable and returns its entry, remembering `md5`.
    fn named(&self, dir: &Dir, name: &str, path: &HomePath, md5: &Md5Digest) -> Result<Entry> {
        // The name is durable only once the folder holding it is synced; commits into one
        // folder at the same time share that sync.
        let folder = dir.dir_metadata().map_err(Error::internal)?;
        self.dir_syncs
            .sync(dir, folder.dev(), folder.ino())
            .map_err(Error::internal)?;
        let meta = dir.symlink_metadata(name).map_err(|e| io_err(e, path))?;
        let _ = self.digests.remember(&Version::of(&meta), md5);
        let mut entry = entry_from(path, &meta);
        entry.md5 = Some(*md5);
        Ok(entry)
    }
}

/// Whether a commit may take `name` in `dir`: refused for a folder, and for any existing
/// entry without `overwrite`; otherwise the size of the file it replaces (0 for none). The
/// rename or link that follows is atomic on its own, so this only gives the clearer error.
fn taken(dir: &Dir, name: &str, path: &HomePath, overwrite: bool) -> Result<u64> {
    match dir.symlink_metadata(name) {
        Ok(m) if m.is_dir() => Err(Error::IsADirectory(path.to_string())),
        Ok(_) if !overwrite => Err(Error::AlreadyExists(path.to_string())),
        Ok(m) if m.is_file() => Ok(m.len()),
        _ => Ok(0),
    }
}
