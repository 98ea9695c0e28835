//! A folder's names, read, checked and sorted once and kept while the folder is unchanged, so
//! that the second page of a listing, and the next listing of the same folder, do not read and
//! sort the whole folder again.
//!
//! Listing a 2 000-entry folder in two pages read all 2 000 names twice: `readdir`, the NFC
//! check of each name, and the sort were about half of the listing's CPU (perf of the server
//! under `wrk` listing one folder). Entries are still `statx`ed on every page, so sizes and
//! times are always current; only the set of names is kept.
//!
//! A folder's set of names changes only with its mtime and ctime, which the kernel sets on
//! every create, delete and rename in it. The kept names are keyed by the folder's identity
//! and both times as `statx` gives them before the names are read. Timestamps are as coarse as
//! the kernel's clock tick, so two changes within one tick could share a stamp: names read
//! from a folder changed less than [`SETTLE`] ago are used but not kept (git's "racily clean"
//! rule).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use cap_std::fs::{Dir, Metadata, MetadataExt as _};
use ferry_core::path::HomePath;
use ferry_core::{Error, Result};

use crate::names::addressable;

/// How long a folder must have been unchanged before its names are kept.
const SETTLE: Duration = Duration::from_secs(2);
/// Folders kept at once; past that, all are dropped and kept anew (as `RecordCache` does).
const MAX_FOLDERS: usize = 64;
/// Names kept across all folders, bounding memory.
const MAX_NAMES: usize = 256 * 1024;

/// A folder's names as a listing shows them.
#[derive(Debug, Default)]
pub(crate) struct FolderNames {
    /// The entries in name order: the name as Ferry addresses it (NFC), and as stored.
    pub(crate) names: Vec<(HomePath, String)>,
    /// How many names were left out because Ferry cannot address them.
    pub(crate) skipped: u64,
}

/// A folder's names, shared by the listings that use them.
pub(crate) type Names = Arc<FolderNames>;

/// Folder names kept between listings; see the module documentation.
#[derive(Debug, Default)]
pub(crate) struct Listings {
    kept: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    /// `DEV-INO:PATH` → (mtime and ctime stamp, names).
    folders: HashMap<String, (String, Names)>,
    names: usize,
}

impl Listings {
    /// The names of the folder `d` (at `dir` in its home), whose metadata `meta` was taken
    /// before this call: kept ones if the folder is unchanged, else read now.
    pub(crate) fn names(&self, d: &Dir, dir: &HomePath, meta: &Metadata) -> Result<Names> {
        // The folder's path is in the key too: the names carry it, and a symlink inside the
        // home lists the same folder under another path.
        let key = format!("{}-{}:{dir}", meta.dev(), meta.ino());
        let stamp = format!(
            "{}.{}-{}.{}",
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec()
        );
        if let Some((kept_stamp, names)) = self.lock().folders.get(&key)
            && *kept_stamp == stamp
        {
            return Ok(names.clone());
        }
        let names: Names = Arc::new(read_sorted(d, dir)?);
        // Whole seconds, rounded down: a change up to a second later counts from here.
        let changed = SystemTime::UNIX_EPOCH
            + Duration::from_secs(meta.ctime().max(meta.mtime()).max(0) as u64);
        let settled = SystemTime::now()
            .duration_since(changed)
            .is_ok_and(|age| age >= SETTLE);
        if settled {
            let mut kept = self.lock();
            let count = names.names.len();
            if kept.folders.len() >= MAX_FOLDERS || kept.names + count > MAX_NAMES {
                *kept = Kept::default();
            }
            kept.names += count;
            if let Some((_, old)) = kept.folders.insert(key, (stamp, names.clone())) {
                kept.names -= old.names.len();
            }
        }
        Ok(names)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        // Single inserts and clears: a panic cannot leave the map half-changed.
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Reads the folder's names, drops (and counts) those Ferry cannot address, and sorts them.
///
/// Names are sorted and compared in the form Ferry addresses them (NFC, see `HomePath`), and
/// names it cannot address are dropped before a page is cut, so a page is never empty or short
/// while addressable entries follow, whatever bytes the names hold.
fn read_sorted(d: &Dir, dir: &HomePath) -> Result<FolderNames> {
    let err = |e: std::io::Error| Error::from_io(e, &dir.to_string());
    let mut names = Vec::new();
    let mut skipped = 0;
    for entry in d.entries().map_err(err)? {
        let entry = entry.map_err(err)?;
        match entry.file_name().into_string() {
            Ok(raw) => match dir.join(&raw) {
                Ok(path) if !addressable(&raw, path.name().unwrap_or_default()) => {
                    skipped += 1;
                    tracing::warn!(?raw, "skipping a name that its NFC form would not open")
                }
                Ok(path) => names.push((path, raw)),
                Err(_) => {
                    skipped += 1;
                    tracing::warn!(?raw, "skipping a file name Ferry cannot address")
                }
            },
            Err(raw) => {
                skipped += 1;
                tracing::warn!(?raw, "skipping a file name that is not UTF-8")
            }
        }
    }
    names.sort_unstable();
    // Both spellings of one name (one made outside Ferry): list it once, as the NFC file that
    // lookups find.
    names.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same && later.0.name() == Some(later.1.as_str()) {
            std::mem::swap(&mut kept.1, &mut later.1);
        }
        same
    });
    Ok(FolderNames { names, skipped })
}
