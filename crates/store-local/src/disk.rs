//! The data folder on the local filesystem, confined with `cap-std`: the blocking operations
//! behind [`crate::LocalBlobStore`]'s async `FileStore` and `UploadStore` seams. One file of
//! ~550 lines: every home operation beside the confinement rules they share, so the one place
//! that can touch a home reads as one piece; committing an upload is in `commit`.
//!
//! ```text
//! DATA/homes/NAME/                 one private folder per user (mode 0700)
//! DATA/state/staging/ID.part       upload bytes; the file's length is the upload's offset
//!                                  (a transient upload's bytes have no name: `unnamed`)
//! DATA/state/digests/DEV-INO.json  remembered MD5 of a file version (see `digests`)
//! ```
//!
//! Confinement: every home path is opened beneath the home's `cap_std::fs::Dir`, which resolves
//! each component itself (with `openat2(RESOLVE_BENEATH)` where the kernel has it) and refuses
//! any `..`, absolute symlink or symlink chain that would leave the directory — at the moment
//! of the operation, so a symlink swapped in after a check changes nothing. Staging and digests
//! live under `DATA/state`, beside the homes and out of every user's reach.
//!
//! Renames into a home go through `renameat2` on two directory handles (rustix): cap-std has no
//! no-replace rename, and `RENAME_NOREPLACE` is what makes "never overwrite without the flag"
//! atomic instead of a racy exists-check.
//!
//! Every existing name is looked up through [`on_disk`], so a name made outside Ferry in
//! another Unicode form (NFD) opens under the NFC name listings show.

use std::collections::HashSet;
use std::fs as stdfs;
use std::io::{self, ErrorKind};
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use cap_std::ambient_authority;
use cap_std::fs::{Dir, DirBuilder, OpenOptions};
use cap_std::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use rustix::fs::RenameFlags;

use ferry_core::md5hex::Md5Digest;
use ferry_core::model::{Entry, EntryKind};
use ferry_core::path::HomePath;
use ferry_core::store::{ListPage, Listed, Move, UploadRecord};
use ferry_core::upload_id::UploadId;
use ferry_core::username::Username;
use ferry_core::{Error, Result};

use crate::digests::{Digests, RECORD_MIN};
use crate::dir_sync::DirSyncs;
use crate::entry_stat::entry_stat;
use crate::home_dirs::HomeDirs;
use crate::listings::Listings;
use crate::names::{Lookup, located, on_disk};
use crate::unnamed::Unnamed;
use crate::version::Version;

mod commit;

/// Homes, staging and digests under a data folder: the blocking operations, which
/// [`crate::LocalBlobStore`] runs on the blocking pool.
#[derive(Debug)]
pub(crate) struct Disk {
    homes: Dir,
    /// Absolute path of `DATA/homes`, for commands that run in a home (exec).
    homes_path: std::path::PathBuf,
    staging: Dir,
    digests: Digests,
    listings: Listings,
    dir_syncs: DirSyncs,
    /// Transient uploads' staging files, which have no name until their commit.
    pub(crate) unnamed: Unnamed,
    /// Homes this process has made or found, so a request does not `mkdir` its home again;
    /// one found missing later (removed behind Ferry's back) is forgotten and made again.
    homes_made: Mutex<HashSet<Username>>,
    /// Homes' directory handles, opened once.
    home_dirs: HomeDirs,
}

impl Disk {
    /// Opens (creating if needed) `DATA/homes`, `DATA/state/staging`, `DATA/state/digests`.
    pub(crate) fn open_dir(data_dir: &Path) -> Result<Self> {
        let open = |p: &Path| -> Result<Dir> {
            stdfs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(p)
                .map_err(Error::internal)?;
            Dir::open_ambient_dir(p, ambient_authority()).map_err(Error::internal)
        };
        let homes = open(&data_dir.join("homes"))?;
        let home_dirs = HomeDirs::new(&data_dir.join("homes"));
        Ok(Disk {
            homes,
            homes_path: stdfs::canonicalize(data_dir.join("homes")).map_err(Error::internal)?,
            staging: open(&data_dir.join("state").join("staging"))?,
            digests: Digests::new(open(&data_dir.join("state").join("digests"))?),
            listings: Listings::default(),
            dir_syncs: DirSyncs::default(),
            unnamed: Unnamed::default(),
            homes_made: Mutex::new(HashSet::new()),
            home_dirs,
        })
    }

    /// The home's directory handle: kept from an earlier operation, or opened now (see
    /// [`HomeDirs`] for how a kept one stays right).
    fn home(&self, user: &Username) -> Result<Arc<Dir>> {
        let opened = self.home_dirs.get(user.as_str(), || {
            match self.homes.open_dir(user.as_str()) {
                // Made by this process for a logged-in account, then removed behind its back:
                // made again, as the `mkdir` at every login used to.
                Err(e) if e.kind() == ErrorKind::NotFound && self.forget_home(user) => {
                    self.create_home(user).map_err(io::Error::other)?;
                    self.homes.open_dir(user.as_str())
                }
                other => other,
            }
        });
        opened.map_err(|e| match e.kind() {
            ErrorKind::NotFound => Error::internal(format!("home of {user} is missing")),
            _ => Error::internal(e),
        })
    }

    fn homes_made(&self) -> std::sync::MutexGuard<'_, HashSet<Username>> {
        // Single inserts and removes: a panic cannot leave the set half-changed.
        self.homes_made
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Forgets that `user`'s home exists; whether it was remembered.
    fn forget_home(&self, user: &Username) -> bool {
        self.homes_made().remove(user)
    }

    /// The MD5 of `version` of the file found at `rel` under `dir` (symlinks followed,
    /// within `dir`): remembered, or for a small file hashed now.
    fn digest_at(&self, dir: &Dir, rel: &Path, version: &Version) -> Option<Md5Digest> {
        let version = *version;
        if version.check.size >= RECORD_MIN {
            return self.digests.recall(&version).ok().flatten();
        }
        self.digests.recall_small(&version, || {
            let mut opts = OpenOptions::new();
            opts.read(true)
                .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
            let file = dir.open_with(rel, &opts).ok()?.into_std();
            hash_small(&file, &version)
        })
    }

    /// [`Self::digest_at`] for a file already open.
    fn digest_of(&self, file: &stdfs::File, meta: &cap_std::fs::Metadata) -> Option<Md5Digest> {
        let version = Version::of(meta);
        if meta.len() >= RECORD_MIN {
            return self.digests.recall(&version).ok().flatten();
        }
        self.digests
            .recall_small(&version, || hash_small(file, &version))
    }

    fn entry(&self, home: &Dir, path: &HomePath, follow: bool) -> Result<Entry> {
        let (rel, found) = located(home, path);
        // The lookup's own `stat` answers unless a symlink must be followed.
        let meta = match found {
            Lookup::Found(meta) if !(follow && meta.file_type().is_symlink()) => Ok(meta),
            Lookup::Missing(e) => Err(e),
            _ if follow => home.metadata(&rel),
            _ => home.symlink_metadata(&rel),
        }
        .map_err(|e| io_err(e, path))?;
        let mut entry = entry_from(path, &meta);
        if entry.kind == EntryKind::File {
            entry.md5 = self.digest_at(home, &rel, &Version::of(&meta));
        }
        Ok(entry)
    }
}

/// The MD5 of `file` (under [`RECORD_MIN`] bytes) if it is still `version` once read, so a
/// file changed while it is read is never given a digest.
fn hash_small(file: &stdfs::File, version: &Version) -> Option<Md5Digest> {
    use md5::Digest as _;
    use std::os::unix::fs::FileExt as _;
    let mut buf = vec![0; RECORD_MIN as usize];
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    let after = cap_std::fs::Metadata::from_just_metadata(file.metadata().ok()?);
    if Version::of(&after) != *version || filled as u64 != after.len() {
        return None;
    }
    Some(Md5Digest(
        ferry_core::fast_md5::Md5::digest(&buf[..filled]).into(),
    ))
}

fn kind_of(ft: cap_std::fs::FileType) -> EntryKind {
    if ft.is_file() {
        EntryKind::File
    } else if ft.is_dir() {
        EntryKind::Dir
    } else if ft.is_symlink() {
        EntryKind::Symlink
    } else {
        EntryKind::Other
    }
}

fn entry_from(path: &HomePath, meta: &cap_std::fs::Metadata) -> Entry {
    let kind = kind_of(meta.file_type());
    Entry {
        name: path.name().unwrap_or("").to_string(),
        path: path.clone(),
        kind,
        size: if kind == EntryKind::Dir {
            0
        } else {
            meta.size()
        },
        modified: meta.mtime(),
        md5: None,
    }
}

/// Flags for a rename that replaces its target only when asked to; without `overwrite` the
/// kernel refuses atomically, so a file created after our own check is never clobbered.
fn rename_flags(overwrite: bool) -> RenameFlags {
    if overwrite {
        RenameFlags::empty()
    } else {
        RenameFlags::NOREPLACE
    }
}

fn io_err(e: io::Error, path: &HomePath) -> Error {
    Error::from_io(e, &path.to_string())
}

/// Opens `path`'s parent beneath `home` and returns it with the last name, both as spelled on
/// disk ([`on_disk`]).
fn parent_of(home: &Dir, path: &HomePath) -> Result<(Dir, String)> {
    path.name().ok_or(Error::HomeImmutable)?;
    let real = on_disk(home, path);
    let name = real
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or(Error::HomeImmutable)?
        .to_string();
    let parent = path.parent();
    let dir = home
        .open_dir(real.parent().unwrap_or(Path::new("")).join("."))
        .map_err(|e| io_err(e, &parent))?;
    Ok((dir, name))
}

/// Sums the sizes of regular files below `dir` without following symlinks. An entry removed
/// while the walk runs (a delete, a commit's rename) is skipped, not an error: the figure is a
/// snapshot, and the quota ledger keeps it only if nothing changed meanwhile.
fn tree_size(dir: &Dir) -> io::Result<u64> {
    let gone = |e: &io::Error| e.kind() == ErrorKind::NotFound;
    let mut total = 0u64;
    let mut stack = vec![dir.try_clone()?];
    while let Some(d) = stack.pop() {
        let entries = match d.entries() {
            Err(e) if gone(&e) => continue,
            other => other?,
        };
        for entry in entries {
            let entry = match entry {
                Err(e) if gone(&e) => continue,
                other => other?,
            };
            let ft = match entry.file_type() {
                Err(e) if gone(&e) => continue,
                other => other?,
            };
            if ft.is_dir() {
                match entry.open_dir() {
                    Err(e) if gone(&e) => {}
                    other => stack.push(other?),
                }
            } else if ft.is_file() {
                match entry.metadata() {
                    Err(e) if gone(&e) => {}
                    other => total += other?.len(),
                }
            }
        }
    }
    Ok(total)
}

impl Disk {
    pub(crate) fn local_home(&self, user: &Username) -> Option<std::path::PathBuf> {
        Some(self.homes_path.join(user.as_str()))
    }

    pub(crate) fn create_home(&self, user: &Username) -> Result<()> {
        if self.homes_made().contains(user) {
            return Ok(());
        }
        let mut b = DirBuilder::new();
        b.recursive(true).mode(0o700);
        self.homes
            .create_dir_with(user.as_str(), &b)
            .map_err(Error::internal)?;
        self.homes_made().insert(user.clone());
        Ok(())
    }

    pub(crate) fn remove_home(&self, user: &Username) -> Result<()> {
        self.forget_home(user);
        self.home_dirs.forget(user.as_str());
        match self.homes.remove_dir_all(user.as_str()) {
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            other => other.map_err(Error::internal),
        }
    }

    pub(crate) fn stat(&self, user: &Username, path: &HomePath) -> Result<Entry> {
        self.entry(&*self.home(user)?, path, true)
    }

    /// [`stat`](Self::stat) without following a symlink at the last component.
    pub(crate) fn lstat(&self, user: &Username, path: &HomePath) -> Result<Entry> {
        self.entry(&*self.home(user)?, path, false)
    }

    pub(crate) fn list(&self, user: &Username, dir: &HomePath, page: &ListPage) -> Result<Listed> {
        let (after, limit) = (page.after.as_deref(), page.limit);
        let home = self.home(user)?;
        if self.entry(&home, dir, true)?.kind != EntryKind::Dir {
            return Err(Error::NotADirectory(dir.to_string()));
        }
        let d = home
            .open_dir(on_disk(&home, dir))
            .map_err(|e| io_err(e, dir))?;
        let meta = d.dir_metadata().map_err(|e| io_err(e, dir))?;
        let folder = self.listings.names(&d, dir, &meta)?;
        let from = after.map_or(0, |a| {
            (folder.names).partition_point(|(path, _)| path.name().is_some_and(|n| n <= a))
        });
        let names = &folder.names[from..];
        let mut out = Vec::with_capacity(limit.min(names.len()));
        // The page's files: where in `out`, their name on disk and version.
        let mut files = Vec::with_capacity(out.capacity());
        let mut rest = names.iter();
        for (path, name) in rest.by_ref() {
            match entry_stat(&d, name) {
                Ok(st) => {
                    if st.kind == EntryKind::File {
                        files.push((out.len(), name, st.version));
                    }
                    out.push(Entry {
                        name: path.name().unwrap_or("").to_string(),
                        path: path.clone(),
                        kind: st.kind,
                        size: match st.kind {
                            EntryKind::Dir => 0,
                            _ => st.version.check.size,
                        },
                        modified: st.modified,
                        md5: None,
                    });
                    if out.len() == limit {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {} // removed meanwhile
                Err(e) => return Err(io_err(e, path)),
            }
        }
        let more = rest.next().is_some();
        // Listings show the MD5 where Ferry knows it: from memory for the whole page at once,
        // else as `digest_at` finds it (computed only for small files, see
        // `digests::RECORD_MIN`).
        let known = self.digests.recall_known(files.iter().map(|(_, _, v)| v));
        for ((at, name, version), known) in files.iter().zip(known) {
            out[*at].md5 = match known {
                Some(md5) => md5,
                None => self.digest_at(&d, Path::new(name), version),
            };
        }
        Ok(Listed {
            entries: out,
            more,
            skipped: folder.skipped,
        })
    }

    pub(crate) fn mkdir(&self, user: &Username, path: &HomePath, parents: bool) -> Result<Entry> {
        let home = self.home(user)?;
        let mut b = DirBuilder::new();
        b.recursive(parents).mode(0o700);
        if path.is_root() {
            return if parents {
                self.entry(&home, path, true)
            } else {
                Err(Error::AlreadyExists("/".into()))
            };
        }
        home.create_dir_with(path.to_relative(), &b)
            .map_err(|e| io_err(e, path))?;
        let entry = self.entry(&home, path, true)?;
        if entry.kind != EntryKind::Dir {
            return Err(Error::AlreadyExists(path.to_string()));
        }
        Ok(entry)
    }

    pub(crate) fn remove(&self, user: &Username, path: &HomePath, recursive: bool) -> Result<u64> {
        let home = self.home(user)?;
        let (parent, name) = parent_of(&home, path)?;
        let name = name.as_str();
        let meta = parent.symlink_metadata(name).map_err(|e| io_err(e, path))?;
        if meta.is_dir() {
            let sub = parent.open_dir(name).map_err(|e| io_err(e, path))?;
            if !recursive {
                return match parent.remove_dir(name) {
                    Ok(()) => Ok(0),
                    Err(e) => Err(io_err(e, path)),
                };
            }
            let freed = tree_size(&sub).map_err(|e| io_err(e, path))?;
            parent.remove_dir_all(name).map_err(|e| io_err(e, path))?;
            Ok(freed)
        } else {
            parent.remove_file(name).map_err(|e| io_err(e, path))?;
            Ok(if meta.is_file() { meta.len() } else { 0 })
        }
    }

    pub(crate) fn rename(&self, user: &Username, m: &Move) -> Result<(Entry, u64)> {
        let (from, to) = (&m.from, &m.to);
        if from.is_root() || to.is_root() {
            return Err(Error::HomeImmutable);
        }
        let home = self.home(user)?;
        let (src_dir, src_name) = parent_of(&home, from)?;
        let src_meta = src_dir
            .symlink_metadata(src_name.as_str())
            .map_err(|e| io_err(e, from))?;
        if to.starts_with(from) && to != from {
            // Below a file is no place at all; below a folder is inside what moves.
            return Err(match src_meta.is_dir() {
                true => Error::BadRequest("cannot move a folder into itself".into()),
                false => Error::NotADirectory(to.to_string()),
            });
        }
        let (dst_dir, dst_name) = parent_of(&home, to)?;
        let (src_name, dst_name) = (src_name.as_str(), dst_name.as_str());
        let replaced = match dst_dir.symlink_metadata(dst_name) {
            Ok(m) if m.is_file() => m.len(),
            _ => 0,
        };
        rustix::fs::renameat_with(
            &src_dir,
            src_name,
            &dst_dir,
            dst_name,
            rename_flags(m.overwrite),
        )
        .map_err(|e| io_err(e.into(), to))?;
        // A rename changes ctime, so the known MD5 moves to the file's new version.
        if src_meta.is_file()
            && src_meta.len() >= RECORD_MIN
            && let Ok(Some(md5)) = self.digests.recall(&Version::of(&src_meta))
            && let Ok(new) = dst_dir.symlink_metadata(dst_name)
        {
            let _ = self.digests.remember(&Version::of(&new), &md5);
        }
        Ok((self.entry(&home, to, false)?, replaced))
    }

    pub(crate) fn open(
        &self,
        user: &Username,
        path: &HomePath,
    ) -> Result<(stdfs::File, Entry, String)> {
        let home = self.home(user)?;
        // O_NONBLOCK: opening a FIFO must not hang; O_NOCTTY: nor adopt a terminal.
        let mut opts = OpenOptions::new();
        opts.read(true).custom_flags(
            (rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY).bits() as i32,
        );
        // Opened first as addressed, and judged by the opened file's own `fstat`: a 4 KiB
        // `GET` then costs open and fstat, where a `stat` of the name came first before (one
        // more path walk per request). Whatever fails to open that way (missing as spelled,
        // or not a file one can open) goes the way that looks first, which also finds other
        // spellings and names each failure.
        let file = match home.open_with(path.to_relative(), &opts) {
            Ok(file) => file,
            Err(_) => self.open_looked_up(&home, path, &opts)?,
        };
        let meta = file.metadata().map_err(|e| io_err(e, path))?;
        if meta.is_dir() {
            return Err(Error::IsADirectory(path.to_string()));
        }
        if !meta.is_file() {
            return Err(Error::SpecialFile(path.to_string()));
        }
        let mut entry = entry_from(path, &meta);
        let file = file.into_std();
        entry.md5 = self.digest_of(&file, &meta);
        Ok((file, entry, Version::of(&meta).to_string()))
    }

    /// [`Self::open`] for a path that did not open as addressed: looked up first, so a folder,
    /// a special file or a missing name gets its own error, and a name stored under another
    /// Unicode spelling is found.
    fn open_looked_up(
        &self,
        home: &Dir,
        path: &HomePath,
        opts: &OpenOptions,
    ) -> Result<cap_std::fs::File> {
        // The lookup's own `stat` describes a file that is not a symlink; only a symlink needs
        // the confined, following `metadata` (three more calls: open, stat, close).
        let (rel, found) = located(home, path);
        let meta = match found {
            Lookup::Found(meta) if !meta.is_symlink() => meta,
            Lookup::Missing(e) => return Err(io_err(e, path)),
            _ => home.metadata(&rel).map_err(|e| io_err(e, path))?,
        };
        if meta.is_dir() {
            return Err(Error::IsADirectory(path.to_string()));
        }
        if !meta.is_file() {
            return Err(Error::SpecialFile(path.to_string()));
        }
        home.open_with(&rel, opts).map_err(|e| io_err(e, path))
    }

    pub(crate) fn remember_digest(
        &self,
        _user: &Username,
        version: &str,
        md5: &Md5Digest,
    ) -> Result<()> {
        match Version::parse(version) {
            Some(version) => self.digests.remember(&version, md5),
            None => Ok(()),
        }
    }

    pub(crate) fn usage(&self, user: &Username) -> Result<u64> {
        tree_size(&*self.home(user)?).map_err(Error::internal)
    }

    pub(crate) fn staging(&self, id: &UploadId, create: bool) -> Result<stdfs::File> {
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).mode(0o600);
        if create {
            opts.create_new(true);
        }
        let file = self
            .staging
            .open_with(format!("{id}.part"), &opts)
            .map_err(|e| match e.kind() {
                ErrorKind::NotFound => Error::UploadNotFound(id.to_string()),
                _ => Error::from_io(e, ""),
            })?;
        Ok(file.into_std())
    }

    /// Uploads whose staging file was last modified before `cutoff` (other names skipped).
    pub(crate) fn staged_before(&self, cutoff: std::time::SystemTime) -> Result<Vec<UploadId>> {
        let mut out = Vec::new();
        for dent in self.staging.entries().map_err(Error::internal)? {
            let dent = dent.map_err(Error::internal)?;
            let name = dent.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".part")) else {
                continue;
            };
            let Ok(id) = UploadId::parse(id) else {
                continue;
            };
            // Gone meanwhile (committed or discarded): not an orphan.
            let Ok(modified) = dent.metadata().and_then(|m| m.modified()) else {
                continue;
            };
            if modified.into_std() < cutoff {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// A transient upload's staging file, unnamed ([`crate::unnamed`]), or `None` where this
    /// system cannot have one. It is made in the folder the upload will be committed to, as
    /// any program makes a new file there, and in the staging folder only where that folder
    /// cannot be opened now (the commit then reports why).
    pub(crate) fn unnamed_staging(
        &self,
        upload: &UploadRecord,
    ) -> Result<Option<Arc<stdfs::File>>> {
        let target = self
            .home(&upload.user)
            .and_then(|home| parent_of(&home, &upload.path));
        let folder = match &target {
            Ok((dir, _)) => dir,
            Err(_) => &self.staging,
        };
        self.unnamed
            .create(folder, &upload.id)
            .map_err(|e| Error::from_io(e, ""))
    }

    pub(crate) fn remove_staging(&self, id: &UploadId) -> Result<()> {
        self.unnamed.forget(id);
        match self.staging.remove_file(format!("{id}.part")) {
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            other => other.map_err(Error::internal),
        }
    }
}
