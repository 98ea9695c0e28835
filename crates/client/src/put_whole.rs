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
pub(crate) struct Whole<'a> {
    pub(crate) local: &'a Path,
    pub(crate) size: u64,
    pub(crate) modified: Option<std::time::SystemTime>,
    pub(crate) create: CreateOptions,
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
        file: &Whole<'_>,
        target: &HomePath,
        md5: &mut UploadMd5,
        progress: &mut dyn Progress,
    ) -> Result<Option<Entry>, ClientError> {
        let cannot_read = |e| ClientError::io(format!("cannot read {}", file.local.display()), e);
        let bytes = Bytes::from(tokio::fs::read(file.local).await.map_err(cannot_read)?);
        let meta = tokio::fs::metadata(file.local).await.map_err(cannot_read)?;
        // The bytes read must be the file the put began with (it is not read twice here, but
        // a file being rewritten could be caught half-way).
        if bytes.len() as u64 != file.size
            || meta.len() != file.size
            || meta.modified().ok() != file.modified
        {
            return Err(ClientError::Refused {
                code: "file_changed",
                message: format!("{} changed while it was being sent", file.local.display()),
            });
        }
        let digest = md5.of_whole(&bytes);
        progress.start(file.size, 0);
        let request = Request::Put {
            path: target.to_string(),
            md5: Some(digest),
            crc32c: chunk_crc(&bytes),
            overwrite: file.create.overwrite,
            parents: file.create.parents,
        };
        self.pace(file.size).await;
        self.conn().send(request.into_frame(bytes)).await?;
        let wait = self.wait_for_bytes(file.size);
        let (response, _) = self.conn().recv_within(wait).await?;
        match expect_ok(response).and_then(reply::<EntryReply>) {
            Ok(done) => {
                progress.advance(file.size);
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
