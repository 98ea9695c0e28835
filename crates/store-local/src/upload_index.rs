//! Which user each upload record belongs to, in memory: a user's unfinished uploads (counted at
//! every upload create, listed by `GET /api/v1/uploads`) are found without reading every
//! record in `DATA/state/uploads`.
//!
//! Filled by one scan of the records at first use, then kept by the store's own
//! `create_upload` and `remove_upload`. Only the server writes upload records (the offline
//! `ferry user` commands never do), so nothing else can make it stale. The scan runs under the
//! same lock as every change, so a record created or removed while it reads is counted once.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use ferry_core::Result;
use ferry_core::store::UploadRecord;
use ferry_core::upload_id::UploadId;
use ferry_core::username::Username;

use crate::records::read_all;

#[derive(Debug, Default)]
pub(crate) struct UploadIndex {
    /// `None` until the first use has read the records.
    known: Mutex<Option<Owners>>,
}

#[derive(Debug, Default)]
struct Owners {
    by_user: HashMap<Username, HashSet<UploadId>>,
    owner: HashMap<UploadId, Username>,
}

impl Owners {
    fn add(&mut self, id: UploadId, user: &Username) {
        self.by_user.entry(user.clone()).or_default().insert(id);
        self.owner.insert(id, user.clone());
    }

    fn remove(&mut self, id: &UploadId) {
        let Some(user) = self.owner.remove(id) else {
            return;
        };
        if let Some(ids) = self.by_user.get_mut(&user) {
            ids.remove(id);
            if ids.is_empty() {
                self.by_user.remove(&user);
            }
        }
    }
}

impl UploadIndex {
    /// The index, read from the records in `dir` if this is its first use.
    fn loaded(&self, dir: &Path) -> Result<MutexGuard<'_, Option<Owners>>> {
        // Single-step changes: a panic cannot leave the maps half-changed.
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if known.is_none() {
            let mut owners = Owners::default();
            for record in read_all::<UploadRecord>(dir)? {
                owners.add(record.id, &record.user);
            }
            *known = Some(owners);
        }
        Ok(known)
    }

    /// The ids of `user`'s upload records.
    pub(crate) fn ids_of(&self, dir: &Path, user: &Username) -> Result<Vec<UploadId>> {
        let known = self.loaded(dir)?;
        let ids = known.as_ref().and_then(|o| o.by_user.get(user));
        Ok(ids
            .map(|ids| ids.iter().copied().collect())
            .unwrap_or_default())
    }

    /// How many upload records `user` has.
    pub(crate) fn count_of(&self, dir: &Path, user: &Username) -> Result<usize> {
        let known = self.loaded(dir)?;
        Ok(known
            .as_ref()
            .and_then(|o| o.by_user.get(user))
            .map_or(0, HashSet::len))
    }

    /// Notes a record written (after the write).
    pub(crate) fn added(&self, record: &UploadRecord) {
        if let Some(owners) = self.guard().as_mut() {
            owners.add(record.id, &record.user);
        }
    }

    /// Notes a record removed (after the removal).
    pub(crate) fn removed(&self, id: &UploadId) {
        if let Some(owners) = self.guard().as_mut() {
            owners.remove(id);
        }
    }

    fn guard(&self) -> MutexGuard<'_, Option<Owners>> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
