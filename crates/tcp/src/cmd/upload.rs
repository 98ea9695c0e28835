//! The upload operations: `upload_create`, `upload_list`, `upload_status`, `upload_write`,
//! `upload_finish`, `upload_cancel`, and `put` (a whole small file in one frame).
//!
//! Every call the TCP door makes on the core's upload API is in this file, so a change of that
//! API touches the door here and nowhere else.

use bytes::Bytes;
use ferry_core::{AppendOptions, ChunkDigest, Commit, CreateOptions, Error, Session};
use ferry_proto::{EmptyReply, EntryReply, Frame, OffsetReply, UploadReply, UploadsReply};
use tokio::io::AsyncRead;

use crate::reply;

/// `upload_create`: starts an upload, reserving `size` bytes of quota (and creating missing
/// parent folders unless `options` refuse them).
pub async fn create(
    session: &mut Session,
    path: &str,
    size: u64,
    md5: Option<String>,
    options: CreateOptions,
) -> Result<Frame, Error> {
    let upload = session
        .upload_create_with(path, size, md5.as_deref(), options)
        .await?;
    Ok(reply::ok(&UploadReply { upload }))
}

/// `upload_list`: the user's unfinished uploads.
pub async fn list(session: &Session) -> Result<Frame, Error> {
    let uploads = session.upload_list().await?;
    Ok(reply::ok(&UploadsReply { uploads }))
}

/// `upload_status`: one upload's state.
pub async fn status(session: &Session, id: &str) -> Result<Frame, Error> {
    let upload = session.upload_status(id).await?;
    Ok(reply::ok(&UploadReply { upload }))
}

/// `upload_write`: appends the payload at `offset`, checked against its CRC-32C.
pub async fn write(
    session: &mut Session,
    id: &str,
    offset: u64,
    crc32c: u32,
    payload: Bytes,
) -> Result<Frame, Error> {
    let offset = session
        .upload_write_chunk(id, offset, payload, Some(crc32c))
        .await?;
    Ok(reply::ok(&OffsetReply { offset }))
}

/// `upload_write` with the payload read from `body` as it arrives, `block` bytes at a time:
/// the same checks and answer as [`write`], `len` bytes refused whole when they would pass
/// the declared size.
pub async fn write_streamed<R: AsyncRead + Unpin>(
    session: &mut Session,
    id: &str,
    offset: u64,
    crc32c: u32,
    len: usize,
    block: usize,
    body: R,
) -> Result<Frame, Error> {
    let opts = AppendOptions {
        offset: Some(offset),
        len: Some(len as u64),
        chunk: Some(ChunkDigest::Crc32c(crc32c)),
        commit: Commit::Later,
        block: Some(block),
    };
    let state = session.append(id, body, opts).await?;
    Ok(reply::ok(&OffsetReply {
        offset: state.info.offset,
    }))
}

/// `upload_finish`: verifies the MD5 and commits the file.
pub async fn finish(session: &mut Session, id: &str, md5: Option<String>) -> Result<Frame, Error> {
    let entry = session.upload_finish(id, md5.as_deref()).await?;
    Ok(reply::ok(&EntryReply { entry }))
}

/// `put`: the payload, checked against its CRC-32C, stored whole at `path` and committed (MD5
/// checked when given), as the HTTP door's `PUT`: nothing stays behind if it fails.
pub async fn put(
    session: &mut Session,
    path: &str,
    md5: Option<String>,
    crc32c: u32,
    options: CreateOptions,
    payload: Bytes,
) -> Result<Frame, Error> {
    if ferry_proto::frame::chunk_crc(&payload) != crc32c {
        return Err(Error::ChunkChecksumMismatch);
    }
    let size = payload.len() as u64;
    let put = session
        .put_file_with(path, size, &payload[..], md5.as_deref(), options)
        .await?;
    Ok(reply::ok(&EntryReply { entry: put.entry }))
}

/// `upload_cancel`: abandons an upload and releases its reservation.
pub async fn cancel(session: &mut Session, id: &str) -> Result<Frame, Error> {
    session.upload_cancel(id).await?;
    Ok(reply::ok(&EmptyReply {}))
}
