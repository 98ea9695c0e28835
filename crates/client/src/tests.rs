//! The client against a scripted in-process server that misbehaves on purpose: a write
//! refused mid-pipeline, a corrupted download chunk, a stale partial upload of other bytes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

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

use super::{Client, GetOptions, NoProgress, Progress, PutOptions};

const ID: &str = "0123456789abcdef0123456789abcdef";

/// What the fake server holds and which fault it injects once.
#[derive(Default)]
struct State {
    /// The uploaded bytes, or the file to serve.
    data: Vec<u8>,
    /// Refuse the first write at this offset with `chunk_checksum_mismatch`.
    refuse_write_at: Option<u64>,
    /// Send a wrong CRC for the first data frame at this offset.
    corrupt_read_at: Option<u64>,
    /// `upload_list` shows the upload holding `data` (an unfinished one left by an earlier run).
    listed: bool,
    /// The `md5` of each `upload_create` and `upload_finish`, in order.
    creates: Vec<Option<String>>,
    finishes: Vec<Option<String>>,
    writes: usize,
    connections: usize,
}

fn md5_hex(data: &[u8]) -> String {
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
    }
}

/// Serves connections, each on its own task, until the test ends.
async fn fake_server(state: Arc<Mutex<State>>, size: u64, stat_exists: bool) -> String {
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

fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 1000) as u8).collect()
}

#[tokio::test]
async fn a_refused_write_mid_pipeline_is_drained_and_resent_from_the_server_offset() {
    let data = content((5 << 20) + 123);
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("f.bin");
    std::fs::write(&local, &data).unwrap();
    let state = Arc::new(Mutex::new(State {
        refuse_write_at: Some(2 << 20),
        ..State::default()
    }));
    let addr = fake_server(state.clone(), data.len() as u64, false).await;
    let mut client = Client::connect(&addr, Duration::from_secs(5))
        .await
        .unwrap();
    let options = PutOptions::default();
    let done = client
        .put(&local, None, options, &mut NoProgress)
        .await
        .unwrap();
    let s = state.lock().unwrap();
    assert!(s.data == data, "the server holds different bytes");
    assert_eq!(done.md5, md5_hex(&data));
    // 6 chunks, the refused one resent, and the ones in flight behind it refused and resent.
    assert!(s.writes > 7, "writes: {}", s.writes);
    assert_eq!(
        s.connections, 1,
        "a refused write must not cost the connection"
    );
}

/// Keeps the notes a transfer makes.
#[derive(Default)]
struct Notes(Vec<String>);

impl Progress for Notes {
    fn note(&mut self, message: &str) {
        self.0.push(message.to_string());
    }
}

/// Puts `data` to a fake server that already holds `held` as an unfinished upload.
async fn put_over_unfinished(data: &[u8], held: &[u8]) -> (Arc<Mutex<State>>, Notes, String) {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("f.bin");
    std::fs::write(&local, data).unwrap();
    let state = Arc::new(Mutex::new(State {
        data: held.to_vec(),
        listed: true,
        ..State::default()
    }));
    let addr = fake_server(state.clone(), data.len() as u64, false).await;
    let mut client = Client::connect(&addr, Duration::from_secs(5))
        .await
        .unwrap();
    let mut notes = Notes::default();
    let done = client
        .put(&local, None, PutOptions::default(), &mut notes)
        .await
        .unwrap();
    (state, notes, done.md5)
}

#[tokio::test]
async fn a_resumed_upload_sends_only_the_rest_and_its_md5_at_finish() {
    let data = content((3 << 20) + 77);
    let held = (1 << 20) + 5;
    let (state, notes, md5) = put_over_unfinished(&data, &data[..held]).await;
    let s = state.lock().unwrap();
    assert!(s.data == data, "the server holds different bytes");
    assert_eq!(md5, md5_hex(&data));
    assert_eq!(s.creates, Vec::<Option<String>>::new());
    assert_eq!(s.finishes, vec![Some(md5_hex(&data))]);
    assert_eq!(s.writes, 3);
    assert_eq!(notes.0, vec![format!("resuming at {held} bytes")]);
}

#[tokio::test]
async fn a_stale_partial_upload_of_other_bytes_is_sent_again_from_the_start() {
    let data = content((2 << 20) + 10);
    let (state, notes, md5) = put_over_unfinished(&data, &[0xee; 1 << 20]).await;
    let s = state.lock().unwrap();
    assert!(s.data == data, "the server holds different bytes");
    assert_eq!(md5, md5_hex(&data));
    // Created again with the MD5 now known, finished twice.
    assert_eq!(s.creates, vec![Some(md5_hex(&data))]);
    assert_eq!(s.finishes.len(), 2);
    assert_eq!(
        notes.0,
        vec![
            format!("resuming at {} bytes", 1 << 20),
            super::upload::STARTING_AGAIN.to_string()
        ]
    );
}

#[tokio::test]
async fn a_corrupted_chunk_is_refused_and_the_download_resumes_on_a_new_connection() {
    let data = content((4 << 20) + 5);
    let state = Arc::new(Mutex::new(State {
        data: data.clone(),
        corrupt_read_at: Some(2 << 20),
        ..State::default()
    }));
    let addr = fake_server(state.clone(), data.len() as u64, true).await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.bin");
    let mut client = Client::connect(&addr, Duration::from_secs(5))
        .await
        .unwrap();
    let options = GetOptions {
        overwrite: false,
        retries: 1,
    };
    let done = client
        .get("/f.bin", Some(&target), options, &mut NoProgress)
        .await
        .unwrap();
    assert!(std::fs::read(&target).unwrap() == data);
    assert_eq!(done.md5, md5_hex(&data));
    assert!(!dir.path().join("out.bin.part").exists());
    assert_eq!(state.lock().unwrap().connections, 2);
}
