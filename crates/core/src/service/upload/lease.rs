//! The one-writer rule: a session takes an [`UploadLease`] (an entry in a shared set that its
//! `Drop` removes) before writing an upload; a second session gets `upload_busy`.

use std::sync::Arc;

use super::writer::Writer;
use crate::service::{Inner, Session, blocking, lock};
use crate::store::UploadRecord;
use crate::upload_id::UploadId;
use crate::{Error, Result};

/// The exclusive right to write one upload, with its open staging file and running hash.
#[derive(Debug)]
pub(in crate::service) struct UploadLease {
    inner: Arc<Inner>,
    id: UploadId,
    pub(super) writer: Option<Writer>,
    /// Set for uploads that must not outlive their lease (a whole-file put): dropping the
    /// lease discards the upload instead of checkpointing it, so a put abandoned half-way
    /// (its future dropped when the client goes away) leaves nothing behind.
    pub(super) ephemeral: Option<UploadRecord>,
}

impl UploadLease {
    /// Gives the lease up after the upload was committed or discarded: nothing to save.
    pub(super) fn forget(mut self) {
        self.writer = None;
        self.ephemeral = None;
    }
}

impl Drop for UploadLease {
    fn drop(&mut self) {
        if let Some(record) = self.ephemeral.take() {
            if let Some(w) = self.writer.take() {
                w.log("discarded");
            }
            if let Err(e) = self.inner.discard(&record) {
                tracing::warn!(upload = %self.id, error = ?e, "discarding an abandoned put failed");
            }
        } else if let Some(mut w) = self.writer.take() {
            if let Err(e) = self.inner.checkpoint(&mut w) {
                tracing::warn!(upload = %self.id, error = ?e, "checkpoint on release failed");
            }
            w.log("paused");
        }
        lock(&self.inner.leases).remove(&self.id);
    }
}

impl Session {
    /// Takes the lease on `id` (if this session does not hold it) and hands out its writer.
    pub(super) async fn take_writer(&mut self, id: UploadId) -> Result<Writer> {
        if let Some(lease) = self.leases.get_mut(&id)
            && let Some(w) = lease.writer.take()
        {
            return Ok(w);
        }
        let inner = self.ferry.inner.clone();
        if !lock(&inner.leases).insert(id) {
            return Err(Error::UploadBusy(id.to_string()));
        }
        let lease = UploadLease {
            inner: inner.clone(),
            id,
            writer: None,
            ephemeral: None,
        };
        let user = self.user.clone();
        let w = blocking(move || inner.open_writer(inner.record_of(&user, &id)?)).await?;
        self.leases.insert(id, lease);
        Ok(w)
    }

    /// Hands a writer back to its lease.
    pub(super) fn put_writer(&mut self, id: UploadId, w: Writer) {
        if let Some(lease) = self.leases.get_mut(&id) {
            lease.writer = Some(w);
        }
    }

    /// Ends the lease on `id` after its upload was committed or discarded.
    pub(super) fn end_lease(&mut self, id: &UploadId) {
        if let Some(lease) = self.leases.remove(id) {
            lease.forget();
        }
    }
}
