//! An upload's life outside the append path: create, list, status, cancel, expiry, and the
//! claim-and-lock step every write goes through.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::registry::Slot;
use super::writer::Writer;
use crate::md5hex::Md5Digest;
use crate::model::{EntryKind, UploadInfo, unix_now};
use crate::service::{Ferry, Inner, Session, lock};
use crate::store::UploadRecord;
use crate::upload_id::UploadId;
use crate::username::Username;
use crate::{Error, Result};

/// The writer of a claimed upload, locked for one operation.
pub(super) type Locked = tokio::sync::OwnedMutexGuard<Option<Writer>>;

impl Inner {
    fn info_of(r: &UploadRecord, offset: u64) -> UploadInfo {
        UploadInfo {
            id: r.id,
            path: r.path.clone(),
            size: r.size,
            offset,
            md5: r.md5,
            expires: r.expires,
        }
    }

    /// The record, if it is `user`'s; another user's id is `upload_not_found` like a missing one.
    async fn record_of(&self, user: &Username, id: &UploadId) -> Result<UploadRecord> {
        match self.meta.upload(id).await? {
            Some(r) if &r.user == user => Ok(r),
            _ => Err(Error::UploadNotFound(id.to_string())),
        }
    }

    /// Waits until writers of `user` that are being closed (a session ended) are closed, so
    /// what the user sees next already reflects it (an abandoned put is gone, a paused upload
    /// checkpointed).
    pub(in crate::service) async fn settle(&self, user: &Username) {
        for slot in self.writers.closing_of(user) {
            drop(slot.writer.clone().lock_owned().await);
        }
    }

    /// Removes an upload's bytes and record and releases its reservation.
    pub(super) async fn discard(&self, record: &UploadRecord) -> Result<()> {
        self.uploads.discard(&record.id).await?;
        self.meta.remove_upload(&record.id).await?;
        self.quota_release(&record.user, record.size).await
    }

    /// Discards expired uploads that no writer here has open. Returns how many.
    pub(in crate::service) async fn sweep_uploads(&self, now: i64) -> Result<usize> {
        let mut n = 0;
        for record in self.meta.expired_uploads(now).await? {
            if self.writers.contains(&record.id) {
                continue;
            }
            // Take the lease so nobody, here or on another node, writes while we delete.
            let holder = format!("{}/sweep", self.node);
            let Ok(lease) = self
                .meta
                .lease_take(&record.id, &holder, crate::store::lease::LEASE_TTL)
                .await
            else {
                continue;
            };
            let result = self.discard(&record).await;
            let _ = self.meta.lease_release(&lease).await;
            result?;
            tracing::info!(upload = %record.id, user = %record.user, "expired upload discarded");
            n += 1;
        }
        Ok(n)
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
    async fn close_locked(&self, slot: &Arc<Slot>, mut guard: Locked) -> bool {
        let had = match guard.take() {
            Some(w) if slot.is_ephemeral() => {
                let record = w.record.clone();
                w.log("discarded");
                if let Err(e) = self.discard(&record).await {
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
                return Err(Error::UploadNotFound(id.to_string()));
            }
            slot.claim(self.id)?;
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
                match Writer::open(&inner, record, &holder).await {
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
}

impl Session {
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
            slot.release_claim(self.id);
            if slot.is_closing() || (self.keep_writers && !slot.is_ephemeral()) {
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
    /// of chunks reads the record and opens the staging bytes once.
    pub fn keep_writers_open(&mut self) {
        self.keep_writers = true;
    }

    /// Creates an upload of `size` bytes to `input`, reserving quota.
    pub async fn upload_create(
        &mut self,
        input: &str,
        size: u64,
        md5: Option<&str>,
        overwrite: bool,
    ) -> Result<UploadInfo> {
        let path = self.resolve(input)?;
        if path.is_root() {
            return Err(Error::IsADirectory("/".into()));
        }
        let md5 = md5.map(Md5Digest::parse).transpose()?;
        let inner = self.ferry.inner.clone();
        let max = inner.config.max_upload_size;
        if size > max {
            return Err(Error::UploadTooLarge { size, max });
        }
        let user = self.user.clone();
        let parent = inner.files.stat(&user, &path.parent()).await?;
        if parent.kind != EntryKind::Dir {
            return Err(Error::NotADirectory(path.parent().to_string()));
        }
        match inner.files.stat(&user, &path).await {
            Ok(e) if e.kind == EntryKind::Dir => return Err(Error::IsADirectory(path.to_string())),
            Ok(_) if !overwrite => return Err(Error::AlreadyExists(path.to_string())),
            Ok(_) | Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        let open = inner.meta.uploads_of(&user).await?.len();
        if open >= inner.config.max_uploads_per_user {
            return Err(Error::LimitReached(format!(
                "at most {} unfinished uploads per user",
                inner.config.max_uploads_per_user
            )));
        }
        inner.quota_reserve(&user, size).await?;
        let now = unix_now();
        let record = UploadRecord {
            id: UploadId::random()?,
            user: user.clone(),
            path,
            size,
            md5,
            overwrite,
            created: now,
            expires: now + inner.config.upload_ttl.as_secs() as i64,
            hash_state: None,
            hashed: 0,
        };
        let created = match inner.uploads.create(&record.id).await {
            Ok(()) => inner.meta.create_upload(&record).await,
            Err(e) => Err(e),
        };
        if let Err(e) = created {
            let _ = inner.uploads.discard(&record.id).await;
            let _ = inner.quota_release(&user, size).await;
            return Err(e);
        }
        tracing::info!(user = %user, upload = %record.id, path = %record.path, size, "upload created");
        Ok(Inner::info_of(&record, 0))
    }

    /// This user's unfinished uploads with their current offsets.
    pub async fn upload_list(&self) -> Result<Vec<UploadInfo>> {
        let inner = &self.ferry.inner;
        inner.settle(&self.user).await;
        let mut out = Vec::new();
        for r in inner.meta.uploads_of(&self.user).await? {
            if let Some(slot) = inner.writers.get(&r.id) {
                out.push(slot.info());
                continue;
            }
            match inner.uploads.len(&r.id).await {
                Ok(offset) => out.push(Inner::info_of(&r, offset)),
                Err(_) => continue,
            }
        }
        out.sort_by_key(|i| i.expires);
        Ok(out)
    }

    /// One upload's state; `offset` is where to resume. Answered from the open writer without
    /// waiting for a write in progress.
    pub async fn upload_status(&self, id: &str) -> Result<UploadInfo> {
        let id = UploadId::parse(id)?;
        let inner = &self.ferry.inner;
        let open = inner.writers.get(&id);
        if let Some(slot) = &open {
            if slot.owner != self.user {
                return Err(Error::UploadNotFound(id.to_string()));
            }
            if !slot.is_closing() {
                return Ok(slot.info());
            }
            inner.settle(&self.user).await;
        }
        let r = inner.record_of(&self.user, &id).await?;
        let offset = inner.uploads.len(&id).await?;
        let info = Inner::info_of(&r, offset);
        if open.is_none() {
            // Kept for the writer that usually follows (an HTTP chunk asks, then writes).
            let slot = inner.writers.get_or_insert(id, &r.user, info.clone());
            lock(&slot.record).get_or_insert(r);
        }
        Ok(info)
    }

    /// Abandons an upload and releases its reservation.
    pub async fn upload_cancel(&mut self, id: &str) -> Result<()> {
        let uid = UploadId::parse(id)?;
        let inner = self.ferry.inner.clone();
        let (slot, mut guard) = self.lock_writer(uid).await?;
        let w = guard
            .take()
            .ok_or_else(|| Error::UploadNotFound(uid.to_string()))?;
        let record = w.record.clone();
        w.log("cancelled");
        let result = inner.discard(&record).await;
        w.end(&inner).await;
        drop(guard);
        self.finished(&uid, &slot);
        slot.ephemeral.store(false, Ordering::Release);
        result
    }
}
