//! The scripted server the client tests talk to: it speaks just enough of the protocol to take
//! an upload or serve a download, and injects the one fault a test asks for.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use ferry_core::md5hex::Md5Digest;
use ferry_core::model::{Entry, EntryKind, UploadInfo};
use ferry_core::{HomePath, UploadId};
use ferry_proto::frame::{Frame, FrameCodec, chunk_crc};
use ferry_proto::message::{
    DownloadData, DownloadEnd, DownloadHead, EmptyReply, EntryReply, ErrorReply, HelloReply,
    MECHANISM, OffsetReply, Reply, Request, UploadReply, UploadsReply,
};
use futures::{SinkExt, StreamExt};
use md5::{Digest, Md5};
use tokio::net::TcpListener;
use tokio_util::codec::Framed;

const ID: &str = "0123456789abcdef0123456789abcdef";

/// What the fake server holds and which fault it injects once.
#[derive(Default)]
pub(super) struct State {
    /// The uploaded bytes, or the file to serve.
    pub(super) data: Vec<u8>,
    /// Refuse the first write at this offset with `chunk_checksum_mismatch`.
    pub(super) refuse_write_at: Option<u64>,
    /// Send a wrong CRC for the first data frame at this offset.
    pub(super) corrupt_read_at: Option<u64>,
    /// `upload_list` shows the upload holding `data` (an unfinished one left by an earlier run).
    pub(super) listed: bool,
    /// The `md5` of each `upload_create` and `upload_finish`, in order.
    pub(super) creates: Vec<Option<String>>,
    pub(super) finishes: Vec<Option<String>>,
    pub(super) writes: usize,
    pub(super) connections: usize,
}

pub(super) fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

fn md5_of(data: &[u8]) -> Md5Digest {
    Md5Digest(Md5::digest(data).into())
}

fn path() -> HomePath {
    HomePath::parse_stored("/f.bin").unwrap()
}

fn entry(state: &State) -> EntryReply {
    let entry = Entry {
        name: "f.bin".into(),
        path: path(),
        kind: EntryKind::File,
        size: state.data.len() as u64,
        modified: 0,
        md5: Some(md5_of(&state.data)),
    };
    EntryReply { entry }
}

fn upload(state: &State, size: u64) -> UploadInfo {
    UploadInfo {
        id: UploadId::parse(ID).unwrap(),
        path: path(),
        size,
        offset: state.data.len() as u64,
        md5: None,
        expires: 0,
        length_deferred: false,
    }
}

/// Serves connections, each on its own task, until the test ends.
pub(super) async fn fake_server(state: Arc<Mutex<State>>, size: u64, stat_exists: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            state.lock().unwrap().connections += 1;
            let state = state.clone();
            tokio::spawn(async move {
                let mut framed = Framed::new(stream, FrameCodec::default());
                while let Some(Ok(frame)) = framed.next().await {
                    for reply in answer(&state, frame, size, stat_exists) {
                        if framed.send(reply).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    addr
}

fn frame_of(reply: impl Reply) -> Frame {
    reply.to_frame(Bytes::new())
}

fn err(code: &str, details: &[(&str, u64)]) -> Frame {
    let reply = ErrorReply {
        code: code.into(),
        message: code.into(),
        details: details
            .iter()
            .map(|(k, v)| (k.to_string(), (*v).into()))
            .collect(),
    };
    frame_of(reply)
}

fn answer(state: &Mutex<State>, frame: Frame, size: u64, stat_exists: bool) -> Vec<Frame> {
    let mut s = state.lock().unwrap();
    match Request::from_header(&frame.header).unwrap() {
        Request::Hello { .. } => vec![frame_of(HelloReply {
            version: 1,
            server: "fake".into(),
            max_header: 1 << 16,
            max_payload: 1 << 20,
            mechanisms: vec![MECHANISM.into()],
        })],
        Request::Stat { .. } if stat_exists => vec![frame_of(entry(&s))],
        Request::Stat { .. } => vec![err("not_found", &[])],
        Request::UploadList => {
            let uploads = if s.listed {
                vec![upload(&s, size)]
            } else {
                Vec::new()
            };
            vec![frame_of(UploadsReply { uploads })]
        }
        Request::UploadCreate { md5, .. } => {
            s.creates.push(md5);
            s.data.clear();
            vec![frame_of(UploadReply {
                upload: upload(&s, size),
            })]
        }
        Request::UploadStatus { .. } => vec![frame_of(UploadReply {
            upload: upload(&s, size),
        })],
        Request::UploadWrite { offset, crc32c, .. } => {
            s.writes += 1;
            let held = s.data.len() as u64;
            if offset != held {
                return vec![err("offset_mismatch", &[("offset", held)])];
            }
            if s.refuse_write_at == Some(held) {
                s.refuse_write_at = None;
                return vec![err("chunk_checksum_mismatch", &[])];
            }
            assert_eq!(crc32c, chunk_crc(&frame.payload));
            s.data.extend_from_slice(&frame.payload);
            vec![frame_of(OffsetReply {
                offset: s.data.len() as u64,
            })]
        }
        Request::UploadFinish { md5, .. } => {
            s.finishes.push(md5.clone());
            if md5 != Some(md5_hex(&s.data)) {
                s.data.clear();
                s.listed = false;
                return vec![err("checksum_mismatch", &[])];
            }
            vec![frame_of(entry(&s))]
        }
        Request::Get { offset, .. } => {
            let from = offset as usize;
            let head = DownloadHead {
                size: s.data.len() as u64,
                md5: md5_of(&s.data),
                offset,
            };
            let mut frames = vec![frame_of(head)];
            let corrupt = s.corrupt_read_at.take();
            for (i, chunk) in s.data[from..].chunks(1 << 20).enumerate() {
                let at = (from + (i << 20)) as u64;
                let mut crc = chunk_crc(chunk);
                if corrupt == Some(at) {
                    crc ^= 1;
                }
                let data = DownloadData {
                    offset: at,
                    crc32c: crc,
                };
                frames.push(data.to_frame(Bytes::copy_from_slice(chunk)));
            }
            let end = DownloadEnd {
                size: s.data.len() as u64,
            };
            frames.push(end.to_frame(Bytes::new()));
            frames
        }
        _ => vec![frame_of(EmptyReply {})],
    }
}
