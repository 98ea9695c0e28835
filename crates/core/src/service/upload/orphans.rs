//! Staged bytes that belong to no upload: what a crash leaves of a transient upload, a
//! whole-file put whose record lived in memory only (see `MetaStore::create_transient_upload`).
//! The janitor removes them once they have been left unwritten for [`ORPHAN_AGE`].

use std::time::{Duration, SystemTime};

use crate::Result;
use crate::service::Inner;

/// How long staged bytes must have been left unwritten before they can be an orphan: far
/// longer than the moment between creating an upload's bytes and its record (on any node),
/// and than any stall of a body a door allows (`--http-body-timeout`, 60 s by default), so
/// bytes an upload is still writing are never taken for an orphan's.
pub(crate) const ORPHAN_AGE: Duration = Duration::from_secs(15 * 60);

impl Inner {
    /// Removes staged bytes older than [`ORPHAN_AGE`] that have no record and no writer here;
    /// returns how many.
    pub(in crate::service) async fn sweep_orphans(&self) -> Result<usize> {
        let cutoff = SystemTime::now() - ORPHAN_AGE;
        let mut n = 0;
        for id in self.uploads.staged_before(cutoff).await? {
            if self.writers.get(&id).is_some() || self.meta.upload(&id).await?.is_some() {
                continue;
            }
            self.uploads.discard(&id).await?;
            tracing::info!(upload = %id, "orphaned staged bytes removed");
            n += 1;
        }
        Ok(n)
    }
}
