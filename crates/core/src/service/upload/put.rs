//! Whole-file put: a body of known length streamed straight into a new upload and committed,
//! for doors that receive a file in one request (HTTP `PUT`).
//!
//! It is an ordinary upload (quota reserved, staged, hashed, committed atomically) that is
//! never left behind: on any failure — short or long body, read error, wrong MD5, quota — it is
//! discarded, and so it is if the call's future is dropped half-way (the client went away):
//! then when the session ends, since the session holds the upload's lease until then.

use tokio::io::AsyncRead;

use crate::Result;
use crate::md5hex::Md5Digest;
use crate::model::Entry;
use crate::service::{Session, blocking, lock};
use crate::upload_id::UploadId;

impl Session {
    /// Stores `body`, exactly `size` bytes long, at `input` (replacing a file there only with
    /// `overwrite`). With `md5`, the bytes must hash to it (`checksum_mismatch`, nothing
    /// committed); without, the file is committed with the MD5 computed while receiving. A
    /// body that ends early fails with `upload_incomplete`, a longer one with `size_exceeded`;
    /// either way nothing remains: no file, no unfinished upload, no reserved quota.
    pub async fn put_file<R: AsyncRead + Unpin>(
        &mut self,
        input: &str,
        size: u64,
        body: R,
        md5: Option<&str>,
        overwrite: bool,
    ) -> Result<Entry> {
        let expected = md5.map(Md5Digest::parse).transpose()?;
        let info = self.upload_create(input, size, md5, overwrite).await?;
        let uid = info.id;
        let result = self.put_body(uid, body, expected).await;
        if result.is_err() {
            self.abandon(uid).await;
        }
        result
    }

    async fn put_body<R: AsyncRead + Unpin>(
        &mut self,
        uid: UploadId,
        body: R,
        expected: Option<Md5Digest>,
    ) -> Result<Entry> {
        let w = self.take_writer(uid).await?;
        if let Some(lease) = self.leases.get_mut(&uid) {
            lease.ephemeral = Some(w.record.clone());
        }
        self.put_writer(uid, w);
        self.upload_write(&uid.to_string(), 0, body, None).await?;
        let w = self.take_writer(uid).await?;
        self.commit(uid, w, expected).await
    }

    /// Discards a failed put's upload, unless the failure already did (`checksum_mismatch`).
    async fn abandon(&mut self, uid: UploadId) {
        let inner = self.ferry.inner.clone();
        let mut lease = self.leases.remove(&uid);
        // Without a lease of our own (taking it failed), take the shared one as the sweeper
        // does, so nobody starts writing while the upload is deleted.
        if lease.is_none() && !lock(&inner.leases).insert(uid) {
            tracing::warn!(upload = %uid, "a failed put's upload is held elsewhere; left to expire");
            return;
        }
        let marked = lease.as_mut().and_then(|l| {
            if let Some(w) = l.writer.take() {
                w.log("discarded");
            }
            l.ephemeral.take()
        });
        let user = self.user.clone();
        let shared = inner.clone();
        let discarded = blocking(move || match marked {
            Some(record) => shared.discard(&record),
            None => match shared.meta.upload(&uid)? {
                Some(record) if record.user == user => shared.discard(&record),
                _ => Ok(()),
            },
        })
        .await;
        // Released only now, so the sweeper cannot take the upload while it is discarded.
        match lease {
            Some(lease) => lease.forget(),
            None => {
                lock(&inner.leases).remove(&uid);
            }
        }
        if let Err(e) = discarded {
            tracing::warn!(upload = %uid, error = ?e, "discarding a failed put failed");
        }
    }
}
