//! Whole-file put: a body of known length streamed straight into a new upload and committed,
//! for doors that receive a file in one request (HTTP `PUT`).
//!
//! It is an ordinary upload (quota reserved, staged, hashed, committed atomically) that is
//! never left behind: on any failure — short or long body, read error, wrong MD5, quota — it is
//! discarded, and so it is if the call's future is dropped half-way (the client went away):
//! the upload is marked ephemeral, and the session's end discards it. Being transient, its
//! record may live in memory only (`MetaStore::create_transient_upload`).

use std::sync::atomic::Ordering;

use tokio::io::AsyncRead;

use super::append::{AppendOptions, Commit};
use super::{CreateOptions, NewUpload};
use crate::chunk_digest::ChunkDigest;
use crate::md5hex::Md5Digest;
use crate::model::Entry;
use crate::service::Session;
use crate::upload_id::UploadId;
use crate::{Error, Result};

/// What a whole body must match before it is committed: its MD5 (`checksum_mismatch`
/// otherwise) and any other digest of its bytes the client sent (`chunk_checksum_mismatch`),
/// such as HTTP's `Content-Digest: sha-256=…`.
#[derive(Debug, Clone, Default)]
pub struct BodyChecks {
    /// The MD5, hex.
    pub md5: Option<String>,
    /// Another digest of exactly the body's bytes.
    pub digest: Option<ChunkDigest>,
}

/// What a whole-file put did.
#[derive(Debug, Clone)]
pub struct Put {
    /// The file as committed.
    pub entry: Entry,
    /// A file was at the target when the put began (and `overwrite` allowed replacing it).
    pub replaced: bool,
}

impl Session {
    /// Stores `body`, exactly `size` bytes long, at `input` (replacing a file there only with
    /// `overwrite`; missing parent folders are created). With `md5`, the bytes must hash to it (`checksum_mismatch`, nothing
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
        let options = CreateOptions {
            overwrite,
            parents: true,
        };
        Ok(self
            .put_file_with(input, size, body, md5, options)
            .await?
            .entry)
    }

    /// [`Session::put_file`], with `options` saying also whether missing parent folders are
    /// created (they are by default) or refused.
    pub async fn put_file_with<R: AsyncRead + Unpin>(
        &mut self,
        input: &str,
        size: u64,
        body: R,
        md5: Option<&str>,
        options: CreateOptions,
    ) -> Result<Put> {
        let checks = BodyChecks {
            md5: md5.map(str::to_string),
            digest: None,
        };
        self.put_file_checked(input, size, body, checks, options)
            .await
    }

    /// [`Session::put_file_with`], the body held to every digest in `checks`: on any mismatch
    /// nothing is committed or kept.
    pub async fn put_file_checked<R: AsyncRead + Unpin>(
        &mut self,
        input: &str,
        size: u64,
        body: R,
        checks: BodyChecks,
        options: CreateOptions,
    ) -> Result<Put> {
        let expected = checks.md5.as_deref().map(Md5Digest::parse).transpose()?;
        let new = NewUpload {
            size: Some(size),
            md5: checks.md5,
            options,
            transient: true,
            ..NewUpload::default()
        };
        let (info, replaced) = self.create_upload(input, new).await?;
        let uid = info.id;
        let result = self.put_body(uid, body, expected, checks.digest).await;
        if let Err(e) = &result {
            self.abandon(uid, e.code()).await;
        }
        Ok(Put {
            entry: result?,
            replaced,
        })
    }

    async fn put_body<R: AsyncRead + Unpin>(
        &mut self,
        uid: UploadId,
        body: R,
        expected: Option<Md5Digest>,
        digest: Option<ChunkDigest>,
    ) -> Result<Entry> {
        let (slot, guard) = self.lock_writer(uid).await?;
        slot.ephemeral.store(true, Ordering::Release);
        drop(guard);
        let opts = AppendOptions {
            offset: Some(0),
            chunk: digest,
            commit: Commit::IfComplete { md5: expected },
            ..AppendOptions::default()
        };
        let state = self.append(&uid.to_string(), body, opts).await?;
        state.entry.ok_or(Error::UploadIncomplete {
            offset: state.info.offset,
            size: state.info.size,
        })
    }

    /// Discards a failed put's upload, unless the failure already did (`checksum_mismatch`);
    /// `code` is the failure's.
    async fn abandon(&mut self, uid: UploadId, code: &'static str) {
        let inner = self.ferry.inner.clone();
        let Ok((slot, mut guard)) = self.lock_writer(uid).await else {
            return;
        };
        if let Some(w) = guard.take() {
            let discarded = inner.discard(&w.record, code).await;
            w.log("discarded");
            w.end(&inner).await;
            if let Err(e) = discarded {
                tracing::warn!(upload = %uid, error = ?e, "discarding a failed put failed");
            }
        }
        drop(guard);
        self.finished(&uid, &slot);
    }
}
