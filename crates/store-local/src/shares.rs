//! Share links on disk: one JSON file per link, `DATA/state/shares/KEY.json`, named by the
//! SHA-256 of the link's id, so the folder's listing (or a copy of it) opens no link.
//!
//! Only the serving process writes these, so a mutex makes counting a download (read, check,
//! write) atomic; the `ferry user` commands never touch them.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ferry_core::store::ShareRecord;
use ferry_core::username::Username;
use ferry_core::{Error, Result};

use crate::records::{read_all_named, read_json, write_json_atomic};

/// The share folder of a data folder.
#[derive(Debug)]
pub(crate) struct ShareFiles {
    dir: PathBuf,
    /// Held across each read-change-write of one record.
    write: Mutex<()>,
}

impl ShareFiles {
    pub(crate) fn new(dir: &Path) -> Self {
        ShareFiles {
            dir: dir.to_path_buf(),
            write: Mutex::new(()),
        }
    }

    /// The key becomes a file name, so it must be exactly what the service makes: 64
    /// lowercase hex digits.
    fn file(&self, key: &str) -> Result<PathBuf> {
        let valid = key.len() == 64 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !valid {
            return Err(Error::internal("share key is not 64 lowercase hex digits"));
        }
        Ok(self.dir.join(format!("{key}.json")))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.write
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn get(&self, key: &str) -> Result<Option<ShareRecord>> {
        read_json(&self.file(key)?)
    }

    pub(crate) fn create(&self, key: &str, record: &ShareRecord) -> Result<()> {
        let path = self.file(key)?;
        let _guard = self.lock();
        if path.exists() {
            return Err(Error::internal("share key taken"));
        }
        write_json_atomic(&path, record, true)
    }

    /// Reads, changes and writes one record under the lock.
    fn update(
        &self,
        key: &str,
        change: impl FnOnce(&mut ShareRecord) -> Result<()>,
    ) -> Result<ShareRecord> {
        let path = self.file(key)?;
        let _guard = self.lock();
        let mut record: ShareRecord = read_json(&path)?.ok_or(Error::ShareNotFound)?;
        change(&mut record)?;
        // A download count lost in a crash gives one more download, not a broken link.
        write_json_atomic(&path, &record, false)?;
        Ok(record)
    }

    pub(crate) fn revoke(&self, key: &str) -> Result<()> {
        self.update(key, |r| {
            r.revoked = true;
            Ok(())
        })
        .map(drop)
    }

    pub(crate) fn count_download(&self, key: &str) -> Result<ShareRecord> {
        self.update(key, |r| {
            if r.revoked {
                return Err(Error::ShareRevoked);
            }
            if r.max_downloads.is_some_and(|max| r.downloads >= max) {
                return Err(Error::ShareExhausted);
            }
            r.downloads += 1;
            Ok(())
        })
    }

    pub(crate) fn of(&self, owner: &Username) -> Result<Vec<(String, ShareRecord)>> {
        let all: Vec<(String, ShareRecord)> = read_all_named(&self.dir)?;
        Ok(all.into_iter().filter(|(_, r)| &r.owner == owner).collect())
    }
}
