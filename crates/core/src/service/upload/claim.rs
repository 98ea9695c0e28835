//! Claiming an upload and its open writer: the claim-and-lock step every write goes through,
//! the end of a session's claims, and closing writers (idle, shutdown, session end).

use std::sync::Arc;

use super::registry::Slot;
use super::writer::Writer;
use crate::service::{Ferry, Inner, Session, lock};
use crate::upload_id::UploadId;
use crate::username::Username;
use crate::{Error, Result};

/// The writer of a claimed upload, locked for one operation.
pub(super) type Locked = tokio::sync::OwnedMutexGuard<Option<Writer>>;

impl Inner {
    /// Waits until writers of `user` that are being closed (a session ended) are closed, so
    /// what the user sees next already reflects it (an abandoned put is gone, a paused upload
    /// checkpointed).
    pub(in crate::service) async fn settle(&self, user: &Username) {
        for slot in self.writers.closing_of(user) {
            drop(slot.writer.clone().lock_owned().await);
        }
    }

    /// Closes writers of `slots` (taken out of the registry), keeping their uploads (a
    /// whole-file put's is discarded).
    async fn close_slots(&self, slots: Vec<Arc<Slot>>) -> usize {
        let mut n = 0;
        for slot in slots {
            let guard = slot.writer.clone().lock_owned().await;
            n += usize::from(self.close_locked(&slot, guard).await);
        }
        n
    }

    /// Closes a locked slot's writer and takes the slot out of the registry. The writer stays
    /// locked until it is closed, so a request that waited for it finds the slot closed and
    /// opens the upload afresh. Whether there was a writer.
    pub(super) async fn close_locked(&self, slot: &Arc<Slot>, mut guard: Locked) -> bool {
        let had = match guard.take() {
            Some(w) if slot.is_ephemeral() => {
                let record = w.record.clone();
                w.log("discarded");
                if let Err(e) = self.discard(&record, "abandoned").await {
                    tracing::warn!(upload = %slot.id, error = ?e, "discarding an abandoned put failed");
                }
                w.end(self).await;
                true
            }
            Some(w) => {
                w.close(self).await;
                true
            }
            None => false,
        };
        self.writers.remove(slot);
        drop(guard);
        had
    }
}

impl Ferry {
    /// Checkpoints and closes upload writers that no request used for
    /// [`Config::writer_idle`](crate::Config::writer_idle). Servers call this periodically.
    pub async fn release_idle_writers(&self) -> usize {
        let slots = self
            .inner
            .writers
            .take_idle(self.inner.config.writer_idle, false);
        self.inner.close_slots(slots).await
    }

    /// Checkpoints and closes every open upload writer; call once the doors stopped.
    pub async fn shutdown(&self) {
        let slots = self
            .inner
            .writers
            .take_idle(std::time::Duration::ZERO, true);
        let n = self.inner.close_slots(slots).await;
        if n > 0 {
            tracing::info!(writers = n, "upload writers closed");
        }
    }
}

impl Session {
    /// Claims `id` for this session and locks its writer, opening it (one record read) if it
    /// is not open yet. Another user's id is `upload_not_found`; another session's claim
    /// `upload_busy`.
    pub(super) async fn lock_writer(&mut self, id: UploadId) -> Result<(Arc<Slot>, Locked)> {
        let inner = self.ferry.inner.clone();
        for _ in 0..3 {
            let (slot, record) = match self.claims.get(&id) {
                Some(slot) if !slot.is_closed() => (slot.clone(), None),
                _ => match inner.writers.get(&id) {
                    Some(slot) => (slot, None),
                    None => {
                        let record = inner.record_of(&self.user, &id).await?;
                        let info = Inner::info_of(&record, 0);
                        (
                            inner.writers.get_or_insert(id, &record.user, info),
                            Some(record),
                        )
                    }
                },
            };
            if slot.owner != self.user {
                return Err(id.not_found());
            }
            slot.claim(self.id, self.newer_wins, &self.preempted)?;
            self.claims.insert(id, slot.clone());
            let mut guard = slot.writer.clone().lock_owned().await;
            if slot.is_closed() {
                drop(guard);
                self.drop_claim(&id, &slot);
                continue;
            }
            if guard.is_none() {
                let record = match record.or_else(|| lock(&slot.record).take()) {
                    Some(r) => r,
                    None => match inner.record_of(&self.user, &id).await {
                        Ok(r) => r,
                        Err(e) => {
                            drop(guard);
                            inner.writers.remove(&slot);
                            self.drop_claim(&id, &slot);
                            return Err(e);
                        }
                    },
                };
                let holder = format!("{}/{}", inner.node, self.id);
                let handle = lock(&slot.handle).take();
                match Writer::open(&inner, record, handle, &holder).await {
                    Ok(w) => {
                        slot.set_info(w.info());
                        *guard = Some(w);
                    }
                    Err(e) => {
                        drop(guard);
                        inner.writers.remove(&slot);
                        self.drop_claim(&id, &slot);
                        return Err(e);
                    }
                }
            } else if let Some(w) = guard.as_ref() {
                w.renew(&inner).await?;
            }
            return Ok((slot, guard));
        }
        Err(Error::UploadBusy(id.to_string()))
    }

    /// Forgets this session's claim on `slot`.
    pub(super) fn drop_claim(&mut self, id: &UploadId, slot: &Arc<Slot>) {
        slot.release_claim(self.id);
        if self.claims.get(id).is_some_and(|s| Arc::ptr_eq(s, slot)) {
            self.claims.remove(id);
        }
    }

    /// Ends an upload whose writer is gone for good (committed or discarded).
    pub(super) fn finished(&mut self, id: &UploadId, slot: &Arc<Slot>) {
        self.ferry.inner.writers.remove(slot);
        self.drop_claim(id, slot);
    }

    /// Releases every claim this session holds (it is ending). In-memory only: writers that
    /// must close with the session (unless it keeps them open, see
    /// [`Session::keep_writers_open`]), and whole-file puts left unfinished, are handed locked
    /// to a task that closes them, since `Drop` must not do I/O.
    pub(in crate::service) fn release_claims(&mut self) {
        for (_, slot) in self.claims.drain() {
            // A claim a newer request took over is that request's to close.
            if !slot.release_claim(self.id)
                || slot.is_closing()
                || (self.keep_writers && !slot.is_ephemeral())
            {
                continue;
            }
            let Ok(rt) = tokio::runtime::Handle::try_current() else {
                continue;
            };
            let Ok(guard) = slot.writer.clone().try_lock_owned() else {
                continue;
            };
            slot.set_closing();
            let inner = self.ferry.inner.clone();
            rt.spawn(async move { inner.close_locked(&slot, guard).await });
        }
    }

    /// For doors whose sessions last one request (HTTP): the upload writers this session used
    /// stay open for the next request instead of closing when the session ends, so a sequence
    /// of chunks reads the record and opens the staging bytes once. Not when other nodes
    /// continue this node's uploads ([`Config::uploads_shared`]).
    ///
    /// [`Config::uploads_shared`]: crate::Config::uploads_shared
    pub fn keep_writers_open(&mut self) {
        let shared = self.ferry.inner.config.uploads_shared;
        self.keep_writers = !shared;
        self.hand_back = shared;
    }
}
