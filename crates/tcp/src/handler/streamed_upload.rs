//! `upload_write` with its chunk streamed from the socket into the core's append in small
//! blocks, instead of being buffered whole first, once many uploads are being written at once.
//!
//! A chunk read whole (up to 1 MiB) is the fastest path for one upload: one buffer, reused
//! by the connection, one hash and one write per chunk. But each connection that is uploading
//! then holds a whole chunk for as long as it waits for a core, and with every core busy that
//! is all of them: 64 uploads held about 64 MiB more than they need to. So the door counts the
//! chunks it is writing; from `Limits::stream_chunks_from` at once (by default two per core:
//! every core hashing, one chunk queued behind each) a new chunk is streamed through
//! [`crate::payload`] in
//! [`STREAM_BLOCK`] blocks, and an upload holds about two such blocks (one written and hashed,
//! the next being received) instead. Speed is bound by the cores then, not by block size.
//!
//! A streamed chunk is still one request with one answer and all-or-nothing on its CRC-32C:
//! the core keeps its bytes provisional until the digest matched. What the core does not read
//! (it refused the request before reading) is skipped, so the next frame is read in step. A
//! chunk whose bytes stop arriving ends the connection as a frame cut short always has, with
//! nothing of it kept.

use std::sync::atomic::{AtomicUsize, Ordering};

use ferry_core::Session;
use ferry_proto::{Header, Op, Request};
use tokio::time::Instant;

use super::{End, Handler};
use crate::cmd;
use crate::connection::{ReadAs, Tag};
use crate::reply;
use ferry_net::Io;

/// Payloads from this size on may be streamed; smaller ones cost less read whole.
const STREAM_MIN: usize = 64 * 1024;

/// The blocks the core takes from a streamed chunk.
const STREAM_BLOCK: usize = 256 * 1024;

/// `upload_write` chunks being written now, by every connection of this process. Only a
/// tuning signal (whole or streamed): no answer depends on it.
static WRITING: AtomicUsize = AtomicUsize::new(0);

/// How a frame is read: a large `upload_write` is counted from its header on (so a burst of
/// chunks arriving together is counted before any of them is read) and streamed once `from`
/// are being written; every other frame is read whole, uncounted.
pub(super) fn classify(header: &Header, len: usize, from: usize) -> ReadAs {
    let upload_write =
        header.get("op").and_then(|op| op.as_str()) == Some(Op::UploadWrite.as_str());
    if len < STREAM_MIN || !upload_write {
        return ReadAs::default();
    }
    let before = WRITING.fetch_add(1, Ordering::Relaxed);
    ReadAs {
        streamed: before >= from,
        tag: Some(Tag(Box::new(Writing(())))),
    }
}

/// One chunk counted in [`WRITING`] from its header until it is answered (or its connection
/// ends).
#[derive(Debug)]
struct Writing(());

impl Drop for Writing {
    fn drop(&mut self) {
        WRITING.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<S: Io> Handler<S> {
    /// Answers one `upload_write` whose `len`-byte payload is still on the connection.
    pub(super) async fn streamed_upload(
        &mut self,
        session: &mut Session,
        header: Header,
        len: usize,
        deadline: Instant,
    ) -> Result<(), End> {
        let request = Request::from_header(&header);
        let mut payload = self.conn.payload(len, deadline);
        let answer = match request {
            Ok(Request::UploadWrite { id, offset, crc32c }) => {
                let write = cmd::upload::write_streamed(
                    session,
                    &id,
                    offset,
                    crc32c,
                    len,
                    STREAM_BLOCK,
                    &mut payload,
                );
                let answer = write.await;
                if payload.broken() {
                    // The client stopped sending inside its chunk: the core rolled the chunk
                    // back, and there is no one in step to answer.
                    return Err(End::Broken("chunk cut short".into()));
                }
                answer.unwrap_or_else(|e| reply::error(&e))
            }
            Ok(other) => reply::error(&cmd::no_payload(other.op())),
            Err(e) => reply::error_code(e.code(), &e.to_string()),
        };
        if payload.finish().await.is_err() {
            return Err(End::Broken("chunk cut short".into()));
        }
        self.answer(answer).await
    }
}
