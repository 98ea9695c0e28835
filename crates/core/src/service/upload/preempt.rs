//! Newer request wins: a request for an upload whose previous request is still being read
//! ends that older request instead of being refused with `upload_busy`.
//!
//! A client whose connection broke often learns it before the server does; its next request
//! (a HEAD for the offset, the next PATCH, a DELETE) must not wait for the old one to time out
//! (the resumable-upload draft's concurrency rule). Sessions are numbered in the order they
//! start, so "newer" is a larger session id. A session that allows it
//! ([`Session::newer_request_wins`], every HTTP request) takes an older session's claim over:
//! the older session's token is cancelled, its body read ends after the bytes already
//! received (they are appended and accepted like the bytes of a cut connection), its append
//! returns `upload_superseded` and drops the writer, and the newer request, which was waiting
//! for that writer, goes on from the offset those bytes reached. An older session never takes
//! an upload back from a newer one.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::registry::Slot;
use crate::model::UploadInfo;
use crate::service::{Session, lock};
use crate::upload_id::UploadId;
use crate::{Error, Result};

impl Slot {
    /// Under the claim lock: whether `session` may take the claim from `holder`, cancelling
    /// the holder's body read if so.
    pub(super) fn end_older(&self, holder: u64, session: u64, newer_wins: bool) -> bool {
        if !newer_wins || session < holder {
            return false;
        }
        if let Some(token) = lock(&self.holder).take() {
            token.cancel();
        }
        tracing::info!(upload = %self.id, older = holder, newer = session, "a newer request takes the upload over");
        true
    }

    /// Ends an older session's read of this upload, if one holds it; whether one did.
    fn preempt(&self, session: u64) -> bool {
        let claim = lock(&self.claim);
        *claim != 0 && *claim != session && self.end_older(*claim, session, true)
    }
}

impl Session {
    /// Lets this session take uploads over from older sessions (for doors where a session is
    /// one request, so a newer one means the client gave the older up).
    pub fn newer_request_wins(&mut self) {
        self.newer_wins = true;
    }

    /// The token an append's body read watches: this session's, renewed if a takeover
    /// cancelled it (a long-lived session may write again once the newer request is done).
    pub(super) fn preempt_token(&mut self) -> CancellationToken {
        if self.preempted.is_cancelled() {
            self.preempted = CancellationToken::new();
        }
        self.preempted.clone()
    }

    /// One upload's state after ending an older request still writing it (when this session
    /// lets newer requests win): the offset then covers every byte that request received, and
    /// a write that follows is not refused as busy. The offset retrieval of the resumable
    /// dialects.
    pub async fn upload_status_latest(&mut self, id: &str) -> Result<UploadInfo> {
        let uid = UploadId::parse(id)?;
        if self.newer_wins
            && let Some(slot) = self.ferry.inner.writers.get(&uid)
            && slot.owner == self.user
            && slot.preempt(self.id)
        {
            // The older request drops the writer once its last block is accepted.
            drop(slot.writer.clone().lock_owned().await);
        }
        self.upload_status(id).await
    }
}

/// What an append returned, as `upload_superseded` when a newer request ended its read.
pub(super) fn superseded<T>(result: Result<T>, token: &CancellationToken, id: &str) -> Result<T> {
    match result {
        Err(_) if token.is_cancelled() => Err(Error::UploadSuperseded(id.to_string())),
        other => other,
    }
}

/// A body whose read ends with an error once `token` is cancelled; what it yielded before
/// stays with the reader.
pub(super) struct Preemptible<R> {
    inner: R,
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl<R> Preemptible<R> {
    pub(super) fn new(inner: R, token: CancellationToken) -> Self {
        Preemptible {
            inner,
            cancelled: Box::pin(token.cancelled_owned()),
        }
    }

    /// The reader, once the append is done with it.
    pub(super) fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Preemptible<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.cancelled.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::other(
                "a newer request took the upload over",
            )));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}
