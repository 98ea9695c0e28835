//! A small file in one frame: `put` carries the whole file and commits it in one round trip,
//! where `upload_create`, `upload_write` and `upload_finish` take three and leave an upload
//! object on the server to create and delete. A file that fits in one frame has nothing to
//! resume, so nothing is lost by not making it resumable: a failed `put` leaves nothing
//! behind, and a retry sends it again.
//!
//! A server older than `put` answers `unknown_op`; the client then remembers to use the
//! resumable upload for the rest of the connection's life.

use std::path::Path;

use bytes::Bytes;
use ferry_core::model::Entry;
use ferry_core::{CreateOptions, HomePath};
use ferry_proto::frame::{MAX_PAYLOAD_LEN, chunk_crc};
use ferry_proto::message::{EntryReply, Request};

use super::upload_md5::UploadMd5;
use super::{Client, ClientError, Progress, expect_ok, reply};

/// Files up to this size go in one `put` frame.
pub(crate) const WHOLE_MAX: u64 = MAX_PAYLOAD_LEN as u64;

/// What one `put` sends: the local file as it was when the put began.
pub(crate) struct Whole {
    pub(crate) bytes: Bytes,
    pub(crate) create: CreateOptions,
}

/// A local file about to be sent, looked at and (when small) read in one trip to the blocking
/// pool: a batch of small files spent most of the client's CPU on thread hand-offs when the
/// `stat`, the read and the check after it were a trip each (`perf stat` of
/// `ferry put -r --jobs 8`, 2 000 files of 4 KiB: 7.6 context switches per file).
pub(crate) struct Local;

impl Local {
    /// `path`'s metadata, and its bytes if it is a regular file that fits in one `put`. The
    /// bytes are those of the file the metadata describes: read from the file opened after
    /// the `stat`, and kept only if that open file still has the size and time the `stat`
    /// saw; otherwise `file_changed`.
    pub(crate) async fn open(
        path: &Path,
    ) -> Result<(std::fs::Metadata, Option<Bytes>), ClientError> {
        let owned = path.to_path_buf();
        let read = tokio::task::spawn_blocking(move || {
            // `stat` first: opening a FIFO or a device to read it could block or have effects.
            let meta = std::fs::metadata(&owned)?;
            if !meta.is_file() || meta.len() > WHOLE_MAX {
                return Ok((meta, None));
            }
            let mut file = std::fs::File::open(&owned)?;
            let mut bytes = Vec::with_capacity(meta.len() as usize);
            std::io::Read::read_to_end(&mut file, &mut bytes)?;
            let opened = file.metadata()?;
            let same = bytes.len() as u64 == meta.len()
                && opened.len() == meta.len()
                && opened.modified().ok() == meta.modified().ok();
            Ok((meta, Some(same.then(|| Bytes::from(bytes)))))
        })
        .await
        .map_err(std::io::Error::other)
        .and_then(|read| read);
        match read {
            Ok((meta, None)) => Ok((meta, None)),
            Ok((meta, Some(Some(bytes)))) => Ok((meta, Some(bytes))),
            Ok((_, Some(None))) => Err(ClientError::Refused {
                code: "file_changed",
                message: format!("{} changed while it was being read", path.display()),
            }),
            Err(e) => Err(ClientError::io(
                format!("cannot read {}", path.display()),
                e,
            )),
        }
    }
}

impl Client {
    /// Whether a file of `size` bytes goes as one `put` (it fits, and the server knows `put`).
    pub(crate) fn sends_whole(&self, size: u64) -> bool {
        size <= WHOLE_MAX && !self.no_put
    }

    /// Sends `file` whole to `target` with its MD5, which `md5` then knows. `Ok(None)`: the
    /// server does not know `put` (from now on [`Client::sends_whole`] says no).
    pub(crate) async fn put_whole(
        &mut self,
        file: &Whole,
        target: &HomePath,
        md5: &mut UploadMd5,
        progress: &mut dyn Progress,
    ) -> Result<Option<Entry>, ClientError> {
        let bytes = file.bytes.clone();
        let size = bytes.len() as u64;
        let digest = md5.of_whole(&bytes);
        progress.start(size, 0);
        let request = Request::Put {
            path: target.to_string(),
            md5: Some(digest),
            crc32c: chunk_crc(&bytes),
            overwrite: file.create.overwrite,
            parents: file.create.parents,
        };
        self.pace(size).await;
        self.conn().send(request.into_frame(bytes)).await?;
        let wait = self.wait_for_bytes(size);
        let (response, _) = self.conn().recv_within(wait).await?;
        match expect_ok(response).and_then(reply::<EntryReply>) {
            Ok(done) => {
                progress.advance(size);
                Ok(Some(done.entry))
            }
            Err(e) if e.code() == "unknown_op" => {
                self.no_put = true;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}
