//! An upload's life outside the append path: create, list, status, cancel, expiry.

use std::sync::atomic::Ordering;

use super::{CreateOptions, NewUpload};
use crate::md5hex::Md5Digest;
use crate::model::{EntryKind, UploadInfo, unix_now};
use crate::service::{Inner, Session, lock, metrics};
use crate::store::UploadRecord;
use crate::upload_id::UploadId;
use crate::username::Username;
use crate::{Error, Result};

impl Inner {
    pub(super) fn info_of(r: &UploadRecord, offset: u64) -> UploadInfo {
        UploadInfo {
            id: r.id,
            path: r.path.clone(),
            size: r.size,
            offset,
            md5: r.md5,
            expires: r.expires,
            length_deferred: r.deferred,
        }
    }

    /// The record, if it is `user`'s; another user's id is `upload_not_found` like a missing one.
    pub(super) async fn record_of(&self, user: &Username, id: &UploadId) -> Result<UploadRecord> {
        match self.meta.upload(id).await? {
            Some(r) if &r.user == user => Ok(r),
            _ => Err(id.not_found()),
        }
    }

    /// Removes an upload's bytes and record and releases its reservation; `why` (a stable
    /// code, or `cancelled`, `expired`, `abandoned`) is what the upload metrics say it ended of.
    pub(super) async fn discard(&self, record: &UploadRecord, why: &'static str) -> Result<()> {
        self.uploads.discard(&record.id).await?;
        self.meta.remove_upload(&record.id).await?;
        metrics::upload_failed(record.size, why);
        self.quota_release(&record.user, record.size).await
    }

    /// Closes this process's writers of expired uploads that no session claims (a claimed
    /// writer renews the expiry at every checkpoint), each giving its lease up, so that the
    /// janitor, on this node or another, can discard them. Returns the expired uploads not
    /// claimed here.
    async fn close_expired_writers(&self, now: i64) -> Result<Vec<UploadRecord>> {
        let mut expired = Vec::new();
        for record in self.meta.expired_uploads(now).await? {
            if self.writers.contains(&record.id) {
                let Some(slot) = self.writers.take_unclaimed(&record.id) else {
                    continue;
                };
                if let Some(w) = slot.writer.clone().lock_owned().await.take() {
                    w.end(self).await;
                }
            }
            expired.push(record);
        }
        Ok(expired)
    }

    /// Closes this process's idle writers of expired uploads; on the janitor (`janitor`) also
    /// discards every expired upload that no writer anywhere holds. Returns how many it
    /// discarded.
    pub(in crate::service) async fn sweep_uploads(&self, now: i64, janitor: bool) -> Result<usize> {
        let expired = self.close_expired_writers(now).await?;
        if !janitor {
            return Ok(0);
        }
        let mut n = 0;
        for record in expired {
            // Take the lease so nobody, here or on another node, writes while we delete.
            let holder = format!("{}/sweep", self.node);
            let Ok(lease) = self
                .meta
                .lease_take(&record.id, &holder, self.config.lease_ttl)
                .await
            else {
                continue;
            };
            let result = self.discard(&record, "expired").await;
            let _ = self.meta.lease_release(&lease).await;
            result?;
            tracing::info!(upload = %record.id, user = record.user.as_str(), "expired upload discarded");
            n += 1;
        }
        Ok(n + self.sweep_orphans().await?)
    }
}

impl Session {
    /// Creates an upload of `size` bytes to `input`, reserving quota; `options` say whether a
    /// file there is replaced and missing parent folders created.
    pub async fn upload_create_with(
        &mut self,
        input: &str,
        size: u64,
        md5: Option<&str>,
        options: CreateOptions,
    ) -> Result<UploadInfo> {
        let new = NewUpload {
            size: Some(size),
            md5: md5.map(str::to_string),
            options,
            ..NewUpload::default()
        };
        self.upload_create_new(input, new).await
    }

    /// Creates an upload to `input` as `new` describes, reserving quota for its size (or, with
    /// the length deferred, for the most it may grow to).
    pub async fn upload_create_new(&mut self, input: &str, new: NewUpload) -> Result<UploadInfo> {
        Ok(self.create_upload(input, new).await?.0)
    }

    /// [`Self::upload_create_new`], also saying whether a file was at the target then (so a
    /// whole-file put answers "replaced" without looking again).
    pub(super) async fn create_upload(
        &mut self,
        input: &str,
        new: NewUpload,
    ) -> Result<(UploadInfo, bool)> {
        let CreateOptions { overwrite, parents } = new.options;
        let path = self.resolve(input)?;
        if path.is_root() {
            return Err(Error::IsADirectory("/".into()));
        }
        let md5 = new.md5.as_deref().map(Md5Digest::parse).transpose()?;
        let inner = self.ferry.inner.clone();
        let max = inner.config.max_upload_size;
        if let Some(size) = new.size
            && size > max
        {
            metrics::limit_refused("max_upload_size");
            return Err(Error::UploadTooLarge { size, max });
        }
        let user = self.user.clone();
        inner.ensure_parent(&user, &path, parents).await?;
        let existed = match inner.files.stat(&user, &path).await {
            Ok(e) if e.kind == EntryKind::Dir => return Err(Error::IsADirectory(path.to_string())),
            Ok(_) if !overwrite => return Err(Error::AlreadyExists(path.to_string())),
            Ok(_) => true,
            Err(Error::NotFound(_)) => false,
            Err(e) => return Err(e),
        };
        let open = inner.meta.upload_count(&user).await?;
        if open >= inner.config.max_uploads_per_user {
            metrics::limit_refused("max_uploads_per_user");
            return Err(Error::LimitReached(format!(
                "at most {} unfinished uploads per user",
                inner.config.max_uploads_per_user
            )));
        }
        let size = match new.size {
            Some(size) => size,
            None => inner.deferred_reservation(&user).await?,
        };
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
            deferred: new.size.is_none(),
            sha256: new.sha256.map(hex::encode),
        };
        let staged = match new.transient {
            true => inner.uploads.create_transient(&record).await,
            false => inner.uploads.create(&record.id).await,
        };
        let created = match staged {
            Ok(handle) if new.transient => {
                let created = inner.meta.create_transient_upload(&record).await;
                created.map(|()| handle)
            }
            Ok(handle) => inner.meta.create_upload(&record).await.map(|()| handle),
            Err(e) => Err(e),
        };
        let handle = match created {
            Ok(handle) => handle,
            Err(e) => {
                let _ = inner.uploads.discard(&record.id).await;
                let _ = inner.quota_release(&user, size).await;
                return Err(e);
            }
        };
        metrics::upload_created(size);
        let path = record.path.to_string();
        if new.transient {
            // Its commit is audited, its failure logged: one line per small put, not three.
            tracing::debug!(user = user.as_str(), upload = %record.id, path = path.as_str(), size, "upload created");
        } else {
            tracing::info!(user = user.as_str(), upload = %record.id, path = path.as_str(), size, "upload created");
        }
        let info = Inner::info_of(&record, 0);
        // Kept for the first write, which usually follows at once: it then opens the writer
        // without reading the record or reopening the staging bytes.
        let slot = inner.writers.get_or_insert(record.id, &user, info.clone());
        *lock(&slot.handle) = Some(handle);
        *lock(&slot.record) = Some(record);
        Ok((info, existed))
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
                return Err(id.not_found());
            }
            // A slot answers for the upload only while its writer is open (and so holds the
            // lease): an idle one is a cache, and another node's janitor may have discarded the
            // upload meanwhile.
            let writing = slot.writer.try_lock().map_or(true, |w| w.is_some());
            if writing && !slot.is_closing() {
                return Ok(slot.info());
            }
            if slot.is_closing() {
                inner.settle(&self.user).await;
            }
        }
        let r = match inner.record_of(&self.user, &id).await {
            Ok(r) => r,
            Err(e) => {
                if open.is_some() {
                    inner.writers.take_unclaimed(&id);
                }
                return Err(e);
            }
        };
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
        let w = guard.take().ok_or_else(|| uid.not_found())?;
        let record = w.record.clone();
        w.log("cancelled");
        let result = inner.discard(&record, "cancelled").await;
        w.end(&inner).await;
        drop(guard);
        self.finished(&uid, &slot);
        slot.ephemeral.store(false, Ordering::Release);
        result
    }
}
