//! One append on a locked upload, owned: what it needs of its session travels with it, so an
//! append that may commit can run in a task of its own.
//!
//! A door's request future is dropped when its client leaves: hyper ends a connection's
//! in-flight request once it reads end of input, even when the whole body was received and
//! sits in the body channel, not yet read by the handler. Were the body read and the commit
//! part of that future, a client that sent the last byte and closed at once would leave an
//! upload without its last bytes or not committed, and a tus `HEAD` could then report
//! `Upload-Offset == Upload-Length`: done, with no file. So
//! [`Session::append_owned`](crate::Session::append_owned) hands the body itself to a spawned
//! task that reads it, writes, and commits; the request only waits for the answer. A body
//! that really broke off ends the read with an error there as anywhere, and the bytes that
//! arrived are kept.

use std::sync::Arc;

use super::append::{AppendOptions, Blocks, Commit};
use super::claim::Locked;
use super::registry::Slot;
use super::{UploadState, writer::Writer};
use crate::chunk_digest::ChunkDigest;
use crate::service::{Inner, Session, metrics};
use crate::username::Username;
use crate::{Error, Result};

/// What an append needs of its session, owned.
pub(super) struct Job {
    pub(super) inner: Arc<Inner>,
    pub(super) user: Username,
    /// The session's id, whose claim the job releases when the upload ends.
    session: u64,
    /// The client's address as audit lines name it.
    pub(super) source: String,
    /// Close the writer before answering (see `Session::hand_back`): flushed, checkpointed
    /// and its lease given up, so the client's next request may reach any node.
    hand_back: bool,
    pub(super) slot: Arc<Slot>,
}

impl Job {
    /// The job of `session` on `slot` (claimed and locked by that session).
    pub(super) fn of(session: &Session, slot: Arc<Slot>) -> Self {
        Job {
            inner: session.ferry.inner.clone(),
            user: session.user.clone(),
            session: session.id,
            source: session.source_text(),
            hand_back: session.hand_back,
            slot,
        }
    }

    /// Ends an upload whose writer is gone for good (committed or discarded): out of the
    /// registry, the session's claim released (the session forgets it when it sees the slot
    /// closed).
    pub(super) fn finished(&self) {
        self.inner.writers.remove(&self.slot);
        self.slot.release_claim(self.session);
    }

    /// Closes a writer whose flush failed (its handle may be unusable), so that the next
    /// request opens the upload again from what the store holds; returns `e`.
    pub(super) async fn drop_writer(&self, guard: Locked, e: Error) -> Error {
        self.close_writer(guard).await;
        e
    }

    /// Closes the locked writer (checkpoint, lease given up) and releases the claim.
    async fn close_writer(&self, guard: Locked) {
        self.inner.close_locked(&self.slot, guard).await;
        self.slot.release_claim(self.session);
    }

    /// The append loop: the offset checked, every block written (and accepted as it lands,
    /// unless a chunk digest must first match), then the commit when `opts` asks for it.
    pub(super) async fn run<S: Blocks>(
        self,
        mut guard: Locked,
        body: &mut S,
        opts: AppendOptions,
    ) -> Result<UploadState> {
        let inner = self.inner.clone();
        let slot = self.slot.clone();
        let w = guard.as_mut().ok_or_else(|| slot.id.not_found())?;
        let start = w.offset();
        if let Some(offset) = opts.offset
            && offset != start
        {
            return Err(Error::OffsetMismatch {
                expected: start,
                got: offset,
            });
        }
        if let Some(len) = opts.len
            && start.saturating_add(len) > w.record.size
        {
            return Err(past_ceiling(&inner, w, start.saturating_add(len)));
        }
        let result = write_all(&inner, &slot, w, body, opts.chunk.as_ref()).await;
        metrics::upload_received(w.offset().saturating_sub(start));
        // A request cut short flushes at once (its client will ask for the offset).
        let flushed = if result.is_err() {
            w.flush().await
        } else {
            w.flush_if_due().await
        };
        if let Err(e) = flushed {
            return Err(self.drop_writer(guard, e).await);
        }
        let info = w.info();
        let commit = match opts.commit {
            Commit::Later => None,
            Commit::IfComplete { md5 } if info.offset == info.size => Some((md5, false)),
            Commit::IfComplete { .. } => None,
            Commit::Now { md5 } => Some((md5, true)),
        };
        let (Ok(()), Some((md5, strict))) = (&result, commit) else {
            if self.hand_back {
                self.close_writer(guard).await;
            }
            result?;
            return Ok(UploadState { info, entry: None });
        };
        let entry = self.commit(guard, md5, strict).await?;
        Ok(UploadState {
            info: crate::model::UploadInfo {
                offset: info.size,
                ..info
            },
            entry: Some(entry),
        })
    }
}

/// Why `needed` bytes do not fit upload `w`: past its declared size (`size_exceeded`), or, for
/// an upload whose length was never stated, past what its reservation could be: the user's
/// quota (`quota_exceeded`) or the server's largest upload (`upload_too_large`). An upload of
/// unknown length has no declared size a client could have passed.
fn past_ceiling(inner: &Inner, w: &Writer, needed: u64) -> Error {
    let (size, max) = (w.record.size, inner.config.max_upload_size);
    match w.record.deferred {
        false => Error::SizeExceeded { size },
        true if size < max => Error::QuotaExceeded {
            needed,
            available: size,
        },
        true => Error::UploadTooLarge { size: needed, max },
    }
}

/// Writes every block `body` yields, up to the declared size; then accepts them, or with a
/// chunk digest that does not match (or a failed write) rolls them all back.
async fn write_all<S: Blocks>(
    inner: &Inner,
    slot: &Slot,
    w: &mut Writer,
    body: &mut S,
    chunk: Option<&ChunkDigest>,
) -> Result<()> {
    let size = w.record.size;
    let mut digest = chunk.map(ChunkDigest::start);
    let mut result = Ok(());
    let (mut data, mut read) = body.next_block().await;
    loop {
        let room = size - w.written();
        let over = data.len() as u64 > room;
        if over {
            data.truncate(room as usize);
        }
        if let Some(d) = digest.as_mut() {
            d.update(&data);
        }
        // The next block is received while this one is hashed and written: a block then
        // costs max(receive, hash) rather than their sum.
        let more = matches!(read, Ok(true)) && !over;
        // Without a chunk digest every block is accepted as it lands, so a crash or a cut
        // connection keeps what arrived, checkpoints fall on block boundaries and status
        // answers from here without waiting for the write to end.
        let accept_each = chunk.is_none();
        let appending = async {
            if data.is_empty() {
                return Ok(());
            }
            w.append(data).await?;
            if accept_each {
                w.accept(inner).await?;
                slot.set_info(w.info());
            }
            Ok(())
        };
        let reading = async {
            if more {
                Some(body.next_block().await)
            } else {
                None
            }
        };
        let (appended, next_block) = tokio::join!(appending, reading);
        if let Err(e) = appended {
            result = Err(e);
            break;
        }
        if over {
            result = Err(past_ceiling(inner, w, size.saturating_add(1)));
            break;
        }
        match (read, next_block) {
            (Ok(true), Some((next, next_read))) => {
                data = next;
                read = next_read;
            }
            (Ok(_), _) => break,
            (Err(e), _) => {
                result = Err(e);
                break;
            }
        }
    }
    let mismatch = result.is_ok()
        && match (chunk, digest) {
            (Some(expected), Some(d)) => d.finish() != *expected,
            _ => false,
        };
    let failed_write =
        matches!(&result, Err(e) if !matches!(e, Error::SizeExceeded { .. }) && chunk.is_some());
    if mismatch || failed_write {
        // A chunk with a digest is kept whole or not at all.
        w.rollback().await?;
        if mismatch {
            result = Err(Error::ChunkChecksumMismatch);
        }
    } else if let Err(e) = w.accept(inner).await {
        let _ = w.rollback().await;
        result = result.and(Err(e));
    }
    slot.set_info(w.info());
    result
}
