//! The client against a scripted in-process server that misbehaves on purpose: a write
//! refused mid-pipeline, a corrupted download chunk, a stale partial upload of other bytes.

mod fake_server;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use self::fake_server::{State, fake_server, md5_hex};
use super::{Client, GetOptions, NoProgress, Progress, PutOptions};

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
