//! Remembered MD5s of file versions: one small JSON record per file under
//! `DATA/state/digests` (what survives a restart), and the same records in memory (what a
//! download or a listing reads). Files under [`RECORD_MIN`] have no record: hashing one again
//! is as cheap as reading a record.
//!
//! A record is keyed by `DEV-INO` and holds the check `SIZE-MTIME-CTIME` of the version that
//! was hashed; it is used only while the file's live `statx` still gives that check. So the
//! memory copy can never serve a stale digest: every use compares it with the metadata the
//! caller has just read, and a file changed behind Ferry's back (a command, an editor, even
//! with its mtime put back) has a new ctime, so its old digest is not used. Only this server
//! writes digests, through [`Digests::remember`], which updates both copies.
//!
//! Why not an extended attribute on the file itself: setting one changes the file's ctime,
//! so the check could not include the ctime after the write (on this kernel a following
//! `statx` makes the next change fine-grained, so no fixed point exists), and without ctime a
//! rewrite that keeps size and mtime would keep a wrong digest.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::sync::Mutex;

use cap_std::fs::Dir;
use ferry_core::md5hex::Md5Digest;
use ferry_core::{Error, Result};

use crate::version::{Check, FileKey, Version};

/// Versions kept in memory; past this the memory copy is emptied and refilled from disk.
const MAX_KNOWN: usize = 1 << 16;

/// Files smaller than this get no record on disk: their MD5 is kept in memory and, when it is
/// not there, hashed again from the file ([`Digests::recall_small`]). Reading a file this
/// small costs what reading its record would (one open and one read), while writing a record
/// costs a new inode per upload, the largest part of a small upload's CPU (perf on the server,
/// 4 KiB HTTP PUTs: ext4 inode allocation ~40% of samples with two new inodes per upload).
pub(crate) const RECORD_MIN: u64 = 64 * 1024;

/// The digest records, on disk and in memory.
#[derive(Debug)]
pub(crate) struct Digests {
    dir: Dir,
    /// File -> (check, MD5 if one is recorded). `None` remembers that no record exists for
    /// that check, so a listing of files never hashed reads no file either.
    known: Mutex<HashMap<FileKey, (Check, Option<Md5Digest>)>>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct DigestRecord {
    check: String,
    md5: Md5Digest,
}

/// The record's file name: `DEV-INO.json`.
fn record_name(file: FileKey) -> String {
    format!("{}-{}.json", file.0, file.1)
}

impl Digests {
    pub(crate) fn new(dir: Dir) -> Self {
        Digests {
            dir,
            known: Mutex::new(HashMap::new()),
        }
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<FileKey, (Check, Option<Md5Digest>)>> {
        // Single inserts and lookups: a panic cannot leave the map half-changed.
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What memory holds for each of `versions`, under one lock (a listing asks for a page
    /// of files at once): `Some(md5)` when it knows exactly that version (`md5` is `None`
    /// when the version has no record), `None` when it does not, and the caller asks
    /// [`Self::recall`] or [`Self::recall_small`].
    pub(crate) fn recall_known<'a>(
        &self,
        versions: impl IntoIterator<Item = &'a Version>,
    ) -> Vec<Option<Option<Md5Digest>>> {
        let known = self.known();
        versions
            .into_iter()
            .map(|v| match known.get(&v.file) {
                Some((check, md5)) if *check == v.check => Some(*md5),
                _ => None,
            })
            .collect()
    }

    /// The MD5 remembered for `version`, if any.
    pub(crate) fn recall(&self, version: &Version) -> Result<Option<Md5Digest>> {
        if let Some((known_check, md5)) = self.known().get(&version.file)
            && *known_check == version.check
        {
            return Ok(*md5);
        }
        let found = match self.dir.read_to_string(record_name(version.file)) {
            Ok(text) => serde_json::from_str::<DigestRecord>(&text)
                .ok()
                .filter(|rec| Check::parse(&rec.check) == Some(version.check))
                .map(|rec| rec.md5),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => return Err(Error::internal(e)),
        };
        self.keep(version, found);
        Ok(found)
    }

    /// The MD5 of `version` of a file smaller than [`RECORD_MIN`]: remembered in memory, or
    /// `hash` (which reads the file and hashes it if it is still that version) now.
    pub(crate) fn recall_small(
        &self,
        version: &Version,
        hash: impl FnOnce() -> Option<Md5Digest>,
    ) -> Option<Md5Digest> {
        if let Some((known_check, Some(md5))) = self.known().get(&version.file)
            && *known_check == version.check
        {
            return Some(*md5);
        }
        let md5 = hash()?;
        self.keep(version, Some(md5));
        Some(md5)
    }

    /// Remembers `md5` for `version`: on disk first (temp + rename, so a reader never sees a
    /// torn record) unless the file is small, then in memory.
    pub(crate) fn remember(&self, version: &Version, md5: &Md5Digest) -> Result<()> {
        if version.check.size < RECORD_MIN {
            self.keep(version, Some(*md5));
            return Ok(());
        }
        let rec = DigestRecord {
            check: version.check.to_string(),
            md5: *md5,
        };
        let text = serde_json::to_vec(&rec).map_err(Error::internal)?;
        let name = record_name(version.file);
        let tmp = format!(".{name}.tmp");
        let written = self
            .dir
            .write(&tmp, &text)
            .and_then(|()| self.dir.rename(&tmp, &self.dir, &name));
        if let Err(e) = written {
            // The disk copy may be old or missing: memory must not claim more than it.
            self.known().remove(&version.file);
            return Err(Error::internal(e));
        }
        self.keep(version, Some(*md5));
        Ok(())
    }

    fn keep(&self, version: &Version, md5: Option<Md5Digest>) {
        let mut known = self.known();
        if known.len() >= MAX_KNOWN && !known.contains_key(&version.file) {
            known.clear();
        }
        known.insert(version.file, (version.check, md5));
    }
}
