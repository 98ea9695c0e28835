//! `get`: the file's head, its data chunks and an end frame, produced one at a time so the
//! session can send each chunk while the next is read from disk.

use std::time::Instant;

use bytes::Bytes;
use ferry_core::{Download, Session, Username};
use ferry_proto::{DownloadData, DownloadEnd, DownloadHead, Frame, MAX_PAYLOAD_LEN, chunk_crc};

use crate::reply;

/// An opened `get`: yields its frames with [`Get::next_frame`] after [`Get::head`].
#[derive(Debug)]
pub struct Get {
    dl: Download,
    user: Username,
    offset: u64,
    /// File position of the next chunk.
    position: u64,
    started: Instant,
    /// `None` while chunks remain; how the download ended once its last frame is made.
    result: Option<&'static str>,
}

/// Opens `path` for reading from `offset`; an error is the frame that answers the request.
pub async fn open(session: &Session, path: &str, offset: u64) -> Result<Get, Frame> {
    let started = Instant::now();
    match session.open_download(path, offset).await {
        Ok(dl) => Ok(Get {
            dl,
            user: session.user().clone(),
            offset,
            position: offset,
            started,
            result: None,
        }),
        Err(e) => Err(reply::error(&e)),
    }
}

impl Get {
    /// The `ok` frame that opens the answer: the whole file's size and MD5.
    pub fn head(&self) -> Frame {
        reply::ok(&DownloadHead {
            size: self.dl.entry.size,
            md5: self.dl.md5(),
            offset: self.offset,
        })
    }

    /// The next frame to send: a data frame per chunk, then an `end` frame (or an `error` one
    /// if reading fails), then `None`.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        if self.result.is_some() {
            return None;
        }
        match self.dl.next_chunk(MAX_PAYLOAD_LEN).await {
            Ok(Some(chunk)) => {
                let data = DownloadData {
                    offset: self.position,
                    crc32c: chunk_crc(&chunk),
                };
                self.position += chunk.len() as u64;
                Some(reply::frame(&data, chunk))
            }
            Ok(None) => {
                self.result = Some("ok");
                Some(reply::frame(
                    &DownloadEnd {
                        size: self.dl.entry.size,
                    },
                    Bytes::new(),
                ))
            }
            Err(e) => {
                self.result = Some("error");
                Some(reply::error(&e))
            }
        }
    }

    /// Writes the download's log line; `shutdown` when the server stopped it early.
    pub fn log(&self, shutdown: bool) {
        let result = if shutdown {
            "shutdown"
        } else {
            self.result.unwrap_or("ok")
        };
        tracing::info!(
            user = self.user.as_str(),
            path = self.dl.entry.path.to_string().as_str(),
            bytes = self.position - self.offset,
            duration_ms = self.started.elapsed().as_millis() as u64,
            result,
            "download"
        );
    }
}
