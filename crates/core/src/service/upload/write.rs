//! Appending to an upload: an in-memory chunk, or everything an `AsyncRead` yields.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::BLOCK;
use super::writer::Writer;
use crate::chunk_digest::ChunkDigest;
use crate::service::Session;
use crate::upload_id::UploadId;
use crate::{Error, Result};

impl Session {
    /// Appends an in-memory chunk at `offset`, checking its CRC-32C first: a corrupt chunk is
    /// refused whole. Returns the new offset.
    pub async fn upload_write_chunk(
        &mut self,
        id: &str,
        offset: u64,
        data: Bytes,
        crc32c: Option<u32>,
    ) -> Result<u64> {
        let id = UploadId::parse(id)?;
        if crc32c.is_some_and(|expected| crc32c::crc32c(&data) != expected) {
            return Err(Error::ChunkChecksumMismatch);
        }
        let w = self.take_writer(id).await?;
        if offset != w.offset {
            let expected = w.offset;
            self.put_writer(id, w);
            return Err(Error::OffsetMismatch {
                expected,
                got: offset,
            });
        }
        if offset + data.len() as u64 > w.record.size {
            let size = w.record.size;
            self.put_writer(id, w);
            return Err(Error::SizeExceeded { size });
        }
        let (w, result) = self.append_block(w, data).await?;
        let offset = w.offset;
        self.put_writer(id, w);
        result.map(|()| offset)
    }

    /// Appends everything `body` yields at `offset`. Bytes past the declared size are not
    /// written (`size_exceeded`, the in-range bytes kept). With `check`, the digest is
    /// computed over exactly the bytes this call wrote, and a mismatch cuts them all back off
    /// (`chunk_checksum_mismatch`, the offset as before the call). Returns the new offset.
    pub async fn upload_write<R: AsyncRead + Unpin>(
        &mut self,
        id: &str,
        offset: u64,
        mut body: R,
        check: Option<ChunkDigest>,
    ) -> Result<u64> {
        let uid = UploadId::parse(id)?;
        let w = self.take_writer(uid).await?;
        if offset != w.offset {
            let expected = w.offset;
            self.put_writer(uid, w);
            return Err(Error::OffsetMismatch {
                expected,
                got: offset,
            });
        }
        let mark = w.mark();
        let mut digest = check.as_ref().map(ChunkDigest::start);
        let mut w = Some(w);
        let mut result = Ok(());
        let mut buf = BytesMut::with_capacity(BLOCK);
        let mut read = read_block(&mut body, &mut buf).await;
        loop {
            let writer = w.take().ok_or_else(|| Error::internal("writer lost"))?;
            let room = writer.record.size - writer.offset;
            let over = buf.len() as u64 > room;
            if over {
                buf.truncate(room as usize);
            }
            if let Some(d) = digest.as_mut() {
                d.update(&buf);
            }
            // The next block is received while this one is hashed and written: a block then
            // costs max(receive, hash) rather than their sum. Bytes read ahead of a failed
            // append are dropped with the request, as the rest of its body is.
            let more = matches!(read, Ok(true)) && !over;
            let mut next = BytesMut::with_capacity(if more { BLOCK } else { 0 });
            let data = std::mem::take(&mut buf).freeze();
            let appending = async {
                if data.is_empty() {
                    Ok((writer, Ok(())))
                } else {
                    self.append_block(writer, data).await
                }
            };
            let reading = async {
                if more {
                    Some(read_block(&mut body, &mut next).await)
                } else {
                    None
                }
            };
            let (appended, next_read) = tokio::join!(appending, reading);
            let (writer, appended) = appended?;
            let size = writer.record.size;
            w = Some(writer);
            if let Err(e) = appended {
                result = Err(e);
                break;
            }
            if over {
                result = Err(Error::SizeExceeded { size });
                break;
            }
            match (read, next_read) {
                (Ok(true), Some(next_read)) => {
                    buf = next;
                    read = next_read;
                }
                (Ok(_), _) => break,
                (Err(e), _) => {
                    result = Err(e);
                    break;
                }
            }
        }
        let mut w = w.ok_or_else(|| Error::internal("writer lost"))?;
        if result.is_ok()
            && let (Some(expected), Some(d)) = (check, digest)
            && d.finish() != expected
        {
            let inner = self.ferry.inner.clone();
            let (back, rewound) = tokio::task::spawn_blocking(move || {
                let r = inner.rewind(&mut w, mark);
                (w, r)
            })
            .await
            .map_err(Error::internal)?;
            w = back;
            result = rewound.and(Err(Error::ChunkChecksumMismatch));
        }
        let offset = w.offset;
        self.put_writer(uid, w);
        result.map(|()| offset)
    }

    /// Appends one block on the blocking pool; the writer comes back whatever happens.
    async fn append_block(&self, mut w: Writer, data: Bytes) -> Result<(Writer, Result<()>)> {
        let inner = self.ferry.inner.clone();
        tokio::task::spawn_blocking(move || {
            let r = inner.append(&mut w, &data);
            (w, r)
        })
        .await
        .map_err(Error::internal)
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
