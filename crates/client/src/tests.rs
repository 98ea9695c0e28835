//! The client against a scripted in-process server that misbehaves on purpose: a write
//! refused mid-pipeline, a corrupted download chunk, a stale partial upload of other bytes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ferry_proto::frame::{Frame, FrameCodec, Header, chunk_crc};
use futures::{SinkExt, StreamExt};
use md5::{Digest, Md5};
use serde_json::{Value, json};
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

fn header(v: Value) -> Header {
    v.as_object().cloned().unwrap()
}

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

fn entry(state: &State) -> Value {
    json!({"name": "f.bin", "path": "/f.bin", "kind": "file", "size": state.data.len(),
           "modified": 0, "md5": md5_hex(&state.data)})
}

fn upload(state: &State, size: u64) -> Value {
    json!({"id": ID, "path": "/f.bin", "size": size, "offset": state.data.len(), "expires": 0})
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

fn answer(state: &Mutex<State>, frame: Frame, size: u64, stat_exists: bool) -> Vec<Frame> {
    let h = &frame.header;
    let num = |k: &str| h.get(k).and_then(Value::as_u64).unwrap_or(0);
    let text = |k: &str| h.get(k).and_then(Value::as_str).map(str::to_string);
    let mut s = state.lock().unwrap();
    let ok = |v: Value| {
        let mut m = header(v);
        m.insert("status".into(), "ok".into());
        Frame::new(m)
    };
    let err = |code: &str, extra: Value| {
        let mut m = header(extra);
        m.insert("status".into(), "error".into());
        m.insert("code".into(), code.into());
        m.insert("message".into(), code.into());
        Frame::new(m)
    };
    match h.get("op").and_then(Value::as_str).unwrap() {
        "hello" => vec![ok(json!({"version": 1}))],
        "stat" if stat_exists => vec![ok(json!({"entry": entry(&s)}))],
        "stat" => vec![err("not_found", json!({}))],
        "upload_list" if s.listed => vec![ok(json!({"uploads": [upload(&s, size)]}))],
        "upload_list" => vec![ok(json!({"uploads": []}))],
        "upload_create" => {
            s.creates.push(text("md5"));
            s.data.clear();
            vec![ok(json!({"upload": upload(&s, size)}))]
        }
        "upload_status" => vec![ok(json!({"upload": upload(&s, size)}))],
        "upload_write" => {
            s.writes += 1;
            let held = s.data.len() as u64;
            if num("offset") != held {
                return vec![err("offset_mismatch", json!({"offset": held}))];
            }
            if s.refuse_write_at == Some(held) {
                s.refuse_write_at = None;
                return vec![err("chunk_checksum_mismatch", json!({}))];
            }
            assert_eq!(num("crc32c"), u64::from(chunk_crc(&frame.payload)));
            s.data.extend_from_slice(&frame.payload);
            vec![ok(json!({"offset": s.data.len()}))]
        }
        "upload_finish" => {
            s.finishes.push(text("md5"));
            if text("md5") != Some(md5_hex(&s.data)) {
                s.data.clear();
                s.listed = false;
                return vec![err("checksum_mismatch", json!({}))];
            }
            vec![ok(json!({"entry": entry(&s)}))]
        }
        "get" => {
            let from = num("offset") as usize;
            let mut frames = vec![ok(json!({"size": s.data.len(), "md5": md5_hex(&s.data),
                                            "offset": from}))];
            let corrupt = s.corrupt_read_at.take();
            for (i, chunk) in s.data[from..].chunks(1 << 20).enumerate() {
                let at = (from + (i << 20)) as u64;
                let mut crc = chunk_crc(chunk);
                if corrupt == Some(at) {
                    crc ^= 1;
                }
                let h = header(json!({"status": "data", "offset": at, "crc32c": crc}));
                frames.push(Frame::with_payload(h, Bytes::copy_from_slice(chunk)));
            }
            frames.push(Frame::new(header(
                json!({"status": "end", "size": s.data.len()}),
            )));
            frames
        }
        _ => vec![ok(json!({}))],
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
