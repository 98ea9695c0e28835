//! Pipelined `upload_write`: several chunks in flight, acknowledged in order.
//!
//! ```text
//!   client                                   server
//!   write @0   ──▶ ┐
//!   write @1M  ──▶ │ up to WINDOW writes       (handled one at a time, in order)
//!   write @2M  ──▶ ┘ unanswered
//!              ◀── ok offset=1M   → progress 1M, send write @3M
//!              ◀── ok offset=2M   → progress 2M, send write @4M
//! ```
//!
//! One task both sends and reads, which is safe because the window bounds what is unanswered:
//! at most `WINDOW` small acks can wait in the server's send buffer, so the server never blocks
//! writing to us while we block writing to it. When a write fails, later writes in the pipe
//! fail too (`offset_mismatch`), so the sender stops, drains every outstanding ack, asks
//! `upload_status` for the server's offset, and carries on from there.
//!
//! Every chunk read is also handed to the upload's [`UploadMd5`] before it is sent, so the
//! file's MD5 is ready when the last write is, without a second read of the file.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use ferry_core::read_buf;
use ferry_proto::frame::{MAX_PAYLOAD_LEN, chunk_crc};
use ferry_proto::message::{OffsetReply, Request, Status};

use super::upload_md5::UploadMd5;
use super::{Client, ClientError, Progress, reply, server_error};

pub(crate) use super::window::WINDOW;

/// Bytes per write: the largest payload a frame may carry.
const CHUNK: u64 = MAX_PAYLOAD_LEN as u64;

/// Times in a row the pipeline may restart from the server's offset without the offset moving.
const MAX_STALLS: u32 = 3;

/// What a write's acknowledgement said.
enum Ack {
    /// Stored; the upload now holds this many bytes.
    Stored(u64),
    /// Not stored.
    Failed(Failure),
}

/// Why the pipeline stopped early.
enum Failure {
    /// A reason that continuing from the server's offset can fix.
    Resync(ClientError),
    /// A reason that ends this upload attempt.
    Fatal(ClientError),
}

impl Client {
    /// Sends bytes `start..size` of `local` to upload `id`, pipelined, and returns once the
    /// server holds all `size` bytes, feeding `md5` every chunk it reads. Progress follows the
    /// server's acknowledgements.
    pub(crate) async fn write_upload(
        &mut self,
        id: &str,
        local: &Path,
        start: u64,
        size: u64,
        md5: &mut UploadMd5,
        progress: &mut dyn Progress,
    ) -> Result<(), ClientError> {
        let file = tokio::fs::File::open(local)
            .await
            .map_err(|e| reading(local, e))?;
        let mut source = Source {
            path: local,
            file: Arc::new(file.into_std().await),
            size,
            md5,
        };
        let mut acked = start;
        let mut stalls = 0;
        while acked < size {
            match self.write_window(id, &mut source, acked, progress).await? {
                Ok(offset) => {
                    acked = offset;
                    stalls = 0;
                }
                Err(error) => {
                    let offset = self.upload_status(id).await?.offset;
                    stalls = if offset > acked { 0 } else { stalls + 1 };
                    if stalls > MAX_STALLS || offset > size {
                        return Err(error);
                    }
                    tracing::debug!("write failed ({error}); continuing at {offset}");
                    acked = offset;
                    progress.advance(acked);
                }
            }
        }
        Ok(())
    }

    /// Runs the pipeline from `from` until the end or the first failed write. The outer
    /// `Result` is for errors that end the upload; the inner one is `Ok(server offset)` or the
    /// write error to resynchronise after (all acks drained).
    async fn write_window(
        &mut self,
        id: &str,
        source: &mut Source<'_>,
        from: u64,
        progress: &mut dyn Progress,
    ) -> Result<Result<u64, ClientError>, ClientError> {
        let size = source.size;
        let mut next = from;
        let mut acked = from;
        let mut in_flight: VecDeque<u64> = VecDeque::with_capacity(WINDOW);
        let mut failure: Option<Failure> = None;
        loop {
            while failure.is_none() && in_flight.len() < WINDOW && next < size {
                let len = (size - next).min(CHUNK);
                let chunk = match source.read(next, len).await {
                    Ok(chunk) => chunk,
                    // Still drain what is in flight, so the connection stays usable.
                    Err(e) => {
                        failure = Some(Failure::Fatal(e));
                        break;
                    }
                };
                let request = Request::UploadWrite {
                    id: id.to_string(),
                    offset: next,
                    crc32c: chunk_crc(&chunk),
                };
                self.pace(len).await;
                self.conn().send(request.into_frame(chunk)).await?;
                next += len;
                in_flight.push_back(next);
            }
            let Some(end) = in_flight.pop_front() else {
                break;
            };
            match self.read_ack(end).await? {
                Ack::Stored(offset) if failure.is_none() => {
                    acked = offset;
                    progress.advance(acked);
                }
                // Once something failed, later acks only need draining.
                Ack::Stored(_) => {}
                // The first failure explains the rest: they fail because it did.
                Ack::Failed(f) => {
                    failure.get_or_insert(f);
                }
            }
        }
        match failure {
            None => Ok(Ok(acked)),
            Some(Failure::Resync(error)) => Ok(Err(error)),
            Some(Failure::Fatal(error)) => Err(error),
        }
    }

    /// Reads one write's acknowledgement; `end` is where that write should leave the upload.
    async fn read_ack(&mut self, end: u64) -> Result<Ack, ClientError> {
        let (response, _) = self.conn().recv().await?;
        if response.status == Status::Error {
            let error = server_error(response);
            return Ok(Ack::Failed(match error.code() {
                "offset_mismatch" | "chunk_checksum_mismatch" => Failure::Resync(error),
                _ => Failure::Fatal(error),
            }));
        }
        let OffsetReply { offset } = reply(response)?;
        if offset != end {
            return Ok(Ack::Failed(Failure::Resync(ClientError::protocol(
                format!("write acknowledged with offset {offset}, expected {end}"),
            ))));
        }
        Ok(Ack::Stored(offset))
    }
}

/// The local side of a pipeline: the file being sent and the MD5 following it.
struct Source<'a> {
    path: &'a Path,
    file: Arc<std::fs::File>,
    size: u64,
    md5: &'a mut UploadMd5,
}

impl Source<'_> {
    /// Reads exactly `len` bytes, which start at `offset`, and hands them to the MD5; a file
    /// that got shorter since the upload began is an error.
    async fn read(&mut self, offset: u64, len: u64) -> Result<Bytes, ClientError> {
        // On the blocking pool, straight into the chunk's own buffer, placed in its page as
        // `read_buffer` says (a TLS stream copies it into its records).
        let file = self.file.clone();
        let chunk =
            tokio::task::spawn_blocking(move || read_buf::read_at(&file, offset, len as usize))
                .await
                .map_err(std::io::Error::other)
                .and_then(|read| read)
                .map_err(|e| reading(self.path, e))?;
        if chunk.len() as u64 != len {
            let shorter = std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the file got shorter during the upload",
            );
            return Err(reading(self.path, shorter));
        }
        self.md5.feed(offset, &chunk).await;
        Ok(chunk)
    }
}

fn reading(path: &Path, e: std::io::Error) -> ClientError {
    ClientError::io(format!("cannot read {}", path.display()), e)
}
