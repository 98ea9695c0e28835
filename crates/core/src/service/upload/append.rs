//! The one append call every door uses: offset check, bytes from any reader, an optional
//! chunk digest, and the commit when asked.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};
use tracing::Instrument;

use super::job::Job;
use super::preempt::{Preemptible, superseded};
use super::{BLOCK, UploadState};
use crate::chunk_digest::ChunkDigest;
use crate::md5hex::Md5Digest;
use crate::model::Entry;
use crate::service::Session;
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
    /// committed entry when `opts.commit` committed it). Runs in the caller's future: a commit
    /// stops if that future is dropped. Doors whose request may be dropped when the client
    /// leaves use [`append_owned`](Self::append_owned).
    pub async fn append<R: AsyncRead + Unpin>(
        &mut self,
        id: &str,
        body: R,
        opts: AppendOptions,
    ) -> Result<UploadState> {
        let token = self.preempt_token();
        let mut body = Reader::new(Preemptible::new(body, token.clone()), &opts);
        let result = self.run_in_place(id, &mut body, opts).await;
        self.completed_or(superseded(result, &token, id), id)
    }

    /// Locks upload `id` and runs the append on it in the caller's future.
    async fn run_in_place<S: Blocks>(
        &mut self,
        id: &str,
        body: &mut S,
        opts: AppendOptions,
    ) -> Result<UploadState> {
        let uid = UploadId::parse(id)?;
        let (slot, guard) = self.lock_writer(uid).await?;
        let result = Job::of(self, slot.clone()).run(guard, body, opts).await;
        self.forget_if_closed(&uid, &slot);
        result
    }

    /// [`append`](Self::append) of a body the engine may own: when `opts` may commit, the
    /// body is read, written and committed in a task of its own (see [`job`](super::job)), so
    /// a client that sends its last byte and leaves at once still gets its file. Returns the
    /// body too, for checks of what follows the bytes taken.
    pub async fn append_owned<R: AsyncRead + Unpin + Send + 'static>(
        &mut self,
        id: &str,
        body: R,
        opts: AppendOptions,
    ) -> Result<(UploadState, R)> {
        let token = self.preempt_token();
        let mut body = Reader::new(Preemptible::new(body, token.clone()), &opts);
        let uid = UploadId::parse(id)?;
        let result = match self.lock_writer(uid).await {
            Ok((slot, guard)) => {
                let job = Job::of(self, slot.clone());
                let result = match opts.commit {
                    Commit::Later => job.run(guard, &mut body, opts).await.map(|s| (s, body)),
                    // In the request's span, so its log and audit lines name the door and
                    // the request as before.
                    Commit::IfComplete { .. } | Commit::Now { .. } => tokio::spawn(
                        async move {
                            let state = job.run(guard, &mut body, opts).await?;
                            Ok((state, body))
                        }
                        .instrument(tracing::Span::current()),
                    )
                    .await
                    .map_err(Error::internal)
                    .and_then(|r| r),
                };
                self.forget_if_closed(&uid, &slot);
                result
            }
            Err(e) => Err(e),
        };
        let result = result.map(|(state, body)| (state, body.body.into_inner()));
        self.completed_or(superseded(result, &token, id), id)
    }

    /// Forgets this session's claim on an upload a job committed or discarded (the job
    /// released it already).
    fn forget_if_closed(&mut self, id: &UploadId, slot: &std::sync::Arc<super::registry::Slot>) {
        if slot.is_closed() {
            self.drop_claim(id, slot);
        }
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
        let state = self.run_in_place(id, &mut Chunk(Some(data)), opts).await?;
        Ok(state.info.offset)
    }

    /// Commits a complete upload, verified against `md5` or the MD5 given at create
    /// ([`Commit::Now`]): what the TCP door's `upload_finish` does.
    pub async fn upload_finish(&mut self, id: &str, md5: Option<&str>) -> Result<Entry> {
        let md5 = md5.map(Md5Digest::parse).transpose()?;
        let opts = AppendOptions {
            commit: Commit::Now { md5 },
            ..AppendOptions::default()
        };
        self.append_owned(id, tokio::io::empty(), opts)
            .await?
            .0
            .entry
            .ok_or_else(|| Error::internal("a commit returned no entry"))
    }
}

impl Session {
    /// Commits upload `id` if it holds every byte (verified against the MD5 given at create,
    /// or with the one computed while receiving); its state either way. For a status query in
    /// a dialect where a full offset means "done" (tus `HEAD`): an upload stranded complete,
    /// its commit refused earlier, is committed now or answers why not, rather than looking
    /// done with no file.
    pub async fn upload_commit_held(&mut self, id: &str) -> Result<UploadState> {
        let opts = AppendOptions {
            commit: Commit::IfComplete { md5: None },
            ..AppendOptions::default()
        };
        Ok(self.append_owned(id, tokio::io::empty(), opts).await?.0)
    }
}

/// Where an append's bytes come from, one block at a time.
pub(super) trait Blocks {
    /// The next block (at most [`BLOCK`] bytes), and whether more may follow: `Ok(false)` at
    /// the end of input, an error after the bytes that arrived before it.
    async fn next_block(&mut self) -> (Bytes, Result<bool>);
}

/// Any reader (an HTTP body, a TCP payload, a file), read in blocks of `block` bytes.
struct Reader<R> {
    body: R,
    block: usize,
}

impl<R> Reader<R> {
    /// `body` in blocks of the size `opts` asks for (at most [`BLOCK`]).
    fn new(body: R, opts: &AppendOptions) -> Self {
        let block = opts.block.unwrap_or(BLOCK).clamp(1, BLOCK);
        Reader { body, block }
    }
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
