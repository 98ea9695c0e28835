//! The one append call every door uses: offset check, bytes from any reader, an optional
//! chunk digest, and the commit when asked.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::preempt::{Preemptible, superseded};
use super::{BLOCK, UploadState};
use crate::chunk_digest::ChunkDigest;
use crate::md5hex::Md5Digest;
use crate::model::Entry;
use crate::service::{Session, metrics};
use crate::upload_id::UploadId;
use crate::{Error, Result};

/// When an append commits the upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Commit {
    /// Never: a later call commits (the TCP door's `upload_finish`).
    #[default]
    Later,
    /// If the upload is complete after this call: verified against `md5` or the MD5 given at
    /// create, or committed with the MD5 computed while receiving when neither is known (an
    /// HTTP chunk, or an empty request on a complete upload).
    IfComplete {
        /// The whole file's MD5, if the request carries one.
        md5: Option<Md5Digest>,
    },
    /// Now: the upload must be complete (`upload_incomplete`) and an MD5 known, given here or
    /// at create (`md5_required`).
    Now {
        /// The whole file's MD5, if the request carries one.
        md5: Option<Md5Digest>,
    },
}

/// How one append is checked and what ends it.
#[derive(Debug, Clone, Default)]
pub struct AppendOptions {
    /// Where the bytes go; `None` is wherever the upload stands (a request that only asks or
    /// commits).
    pub offset: Option<u64>,
    /// The body's length when known up front: a body that would pass the declared size is
    /// then refused whole (`size_exceeded`, nothing kept). A body of unknown length keeps its
    /// bytes up to the size and fails with `size_exceeded` past it.
    pub len: Option<u64>,
    /// A digest of exactly this call's bytes: on mismatch they are all rolled back
    /// (`chunk_checksum_mismatch`, the offset as before the call).
    pub chunk: Option<ChunkDigest>,
    /// Whether this call commits.
    pub commit: Commit,
    /// Bytes taken from the reader at a time (default and most [`BLOCK`], 1 MiB). An upload
    /// holds about two blocks while it is written (one written and hashed, the next being
    /// received), so a door serving many uploads at once can ask for smaller ones.
    pub block: Option<usize>,
}

impl Session {
    /// Appends everything `body` yields to upload `id` and returns its state (with the
    /// committed entry when `opts.commit` committed it).
    pub async fn append<R: AsyncRead + Unpin>(
        &mut self,
        id: &str,
        body: R,
        opts: AppendOptions,
    ) -> Result<UploadState> {
        let block = opts.block.unwrap_or(BLOCK).clamp(1, BLOCK);
        let token = self.preempt_token();
        let body = Preemptible::new(body, token.clone());
        let result = self.append_from(id, Reader { body, block }, opts).await;
        self.completed_or(superseded(result, &token, id), id)
    }

    /// The append loop over any source of blocks.
    async fn append_from<S: Blocks>(
        &mut self,
        id: &str,
        mut body: S,
        opts: AppendOptions,
    ) -> Result<UploadState> {
        let uid = UploadId::parse(id)?;
        let inner = self.ferry.inner.clone();
        let (slot, mut guard) = self.lock_writer(uid).await?;
        let w = guard.as_mut().ok_or_else(|| uid.not_found())?;
        let size = w.record.size;
        let start = w.offset();
        if let Some(offset) = opts.offset
            && offset != w.offset()
        {
            return Err(Error::OffsetMismatch {
                expected: w.offset(),
                got: offset,
            });
        }
        if opts
            .len
            .is_some_and(|len| w.offset().saturating_add(len) > size)
        {
            return Err(Error::SizeExceeded { size });
        }
        let mut digest = opts.chunk.as_ref().map(ChunkDigest::start);
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
            let accept_each = opts.chunk.is_none();
            let appending = async {
                if data.is_empty() {
                    return Ok(());
                }
                w.append(data).await?;
                if accept_each {
                    w.accept(&inner).await?;
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
                result = Err(Error::SizeExceeded { size });
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
            && match (&opts.chunk, digest) {
                (Some(expected), Some(d)) => d.finish() != *expected,
                _ => false,
            };
        let failed_write = matches!(&result, Err(e) if !matches!(e, Error::SizeExceeded { .. }) && opts.chunk.is_some());
        if mismatch || failed_write {
            // A chunk with a digest is kept whole or not at all.
            w.rollback().await?;
            if mismatch {
                result = Err(Error::ChunkChecksumMismatch);
            }
        } else if let Err(e) = w.accept(&inner).await {
            let _ = w.rollback().await;
            result = result.and(Err(e));
        }
        slot.set_info(w.info());
        metrics::upload_received(w.offset().saturating_sub(start));
        result?;
        let info = w.info();
        let commit = match opts.commit {
            Commit::Later => None,
            Commit::IfComplete { md5 } if info.offset == info.size => Some((md5, false)),
            Commit::IfComplete { .. } => None,
            Commit::Now { md5 } => Some((md5, true)),
        };
        let Some((md5, strict)) = commit else {
            return Ok(UploadState { info, entry: None });
        };
        let entry = self.commit(&slot, guard, md5, strict).await?;
        Ok(UploadState {
            info: crate::model::UploadInfo {
                offset: info.size,
                ..info
            },
            entry: Some(entry),
        })
    }
}

impl Session {
    /// [`append`](Self::append) at `offset` with an optional chunk digest, committing
    /// nothing; returns the new offset. A shorthand for in-process callers.
    pub async fn upload_write<R: AsyncRead + Unpin>(
        &mut self,
        id: &str,
        offset: u64,
        body: R,
        chunk: Option<ChunkDigest>,
    ) -> Result<u64> {
        let opts = AppendOptions {
            offset: Some(offset),
            chunk,
            ..AppendOptions::default()
        };
        Ok(self.append(id, body, opts).await?.info.offset)
    }

    /// Appends an in-memory chunk at `offset`, checked against its CRC-32C: a chunk that
    /// would pass the declared size or fails its CRC is refused whole. Returns the new offset.
    /// The TCP door's `upload_write`.
    pub async fn upload_write_chunk(
        &mut self,
        id: &str,
        offset: u64,
        data: Bytes,
        crc32c: Option<u32>,
    ) -> Result<u64> {
        let opts = AppendOptions {
            offset: Some(offset),
            len: Some(data.len() as u64),
            chunk: crc32c.map(ChunkDigest::Crc32c),
            commit: Commit::Later,
            block: None,
        };
        // Handed over as one block, not copied through a reader: a TCP chunk is written
        // from the frame's own buffer.
        Ok(self
            .append_from(id, Chunk(Some(data)), opts)
            .await?
            .info
            .offset)
    }

    /// Commits a complete upload, verified against `md5` or the MD5 given at create
    /// ([`Commit::Now`]): what the TCP door's `upload_finish` does.
    pub async fn upload_finish(&mut self, id: &str, md5: Option<&str>) -> Result<Entry> {
        let md5 = md5.map(Md5Digest::parse).transpose()?;
        let opts = AppendOptions {
            commit: Commit::Now { md5 },
            ..AppendOptions::default()
        };
        self.append(id, tokio::io::empty(), opts)
            .await?
            .entry
            .ok_or_else(|| Error::internal("a commit returned no entry"))
    }
}

/// Where an append's bytes come from, one block at a time.
trait Blocks {
    /// The next block (at most [`BLOCK`] bytes), and whether more may follow: `Ok(false)` at
    /// the end of input, an error after the bytes that arrived before it.
    async fn next_block(&mut self) -> (Bytes, Result<bool>);
}

/// Any reader (an HTTP body, a TCP payload, a file), read in blocks of `block` bytes.
struct Reader<R> {
    body: R,
    block: usize,
}

impl<R: AsyncRead + Unpin> Blocks for Reader<R> {
    async fn next_block(&mut self) -> (Bytes, Result<bool>) {
        let mut buf = BytesMut::with_capacity(self.block);
        let more = read_block(&mut self.body, &mut buf).await;
        (buf.freeze(), more)
    }
}

/// A chunk already in memory (a TCP frame's payload): one block, no copy.
struct Chunk(Option<Bytes>);

impl Blocks for Chunk {
    async fn next_block(&mut self) -> (Bytes, Result<bool>) {
        (self.0.take().unwrap_or_default(), Ok(false))
    }
}

/// Fills `buf` up to its capacity; `Ok(false)` at end of input.
async fn read_block<R: AsyncRead + Unpin>(body: &mut R, buf: &mut BytesMut) -> Result<bool> {
    while buf.len() < buf.capacity() {
        match body.read_buf(buf).await {
            Ok(0) => return Ok(false),
            Ok(_) => {}
            Err(e) => return Err(Error::from_io(e, "")),
        }
    }
    Ok(true)
}
