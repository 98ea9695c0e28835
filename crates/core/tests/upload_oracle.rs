//! Upload ids are no oracle: another user's upload id answers `upload_not_found` in every state
//! (idle, held by a live session, mid-write), exactly as an id that names nothing. An answer
//! such as `upload_busy` would tell a stranger that the id exists and that its owner is
//! writing to it right now.

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferry_core::{Config, Ferry, Session, Username};
use md5::{Digest, Md5};
use tokio::io::AsyncWriteExt;

const SIZE: usize = 3 << 20;

fn user(name: &str) -> Username {
    name.parse().unwrap()
}

/// A service on a fresh temp dir (kept alive by the caller) with `alice` and `bob`.
async fn setup() -> (tempfile::TempDir, Ferry) {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = ferry_store_local::open(Config::new(tmp.path()))
        .await
        .unwrap();
    for name in ["alice", "bob"] {
        ferry.add_user(user(name), "pw".into(), None).await.unwrap();
    }
    (tmp, ferry)
}

async fn session(ferry: &Ferry, name: &str) -> Session {
    Session::trusted(ferry, user(name)).await.unwrap()
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

/// Alice's new upload of `file` to `name`, declaring its MD5; its id.
async fn alices_upload(alice: &mut Session, name: &str, file: &[u8]) -> String {
    let up = alice
        .upload_create(name, file.len() as u64, Some(&md5_hex(file)), false)
        .await
        .unwrap();
    up.id.to_string()
}

/// The code each of bob's operations on `id` gets, by operation.
async fn bobs_answers(bob: &mut Session, id: &str, offset: u64) -> Vec<(&'static str, String)> {
    fn code<T>(r: ferry_core::Result<T>) -> String {
        match r {
            Ok(_) => "ok".into(),
            Err(e) => e.code().into(),
        }
    }
    vec![
        ("status", code(bob.upload_status(id).await)),
        (
            "write chunk",
            code(
                bob.upload_write_chunk(id, offset, Bytes::from_static(b"bob"), None)
                    .await,
            ),
        ),
        (
            "write body",
            code(bob.upload_write(id, offset, &b"bob"[..], None).await),
        ),
        (
            "finish",
            code(bob.upload_finish(id, Some(&md5_hex(b"bob"))).await),
        ),
        ("cancel", code(bob.upload_cancel(id).await)),
    ]
}

/// Alice finishes upload `id` with the MD5 of `file`, and `name` in her home is exactly `file`.
async fn finish_exact(alice: &mut Session, id: &str, dir: &Path, name: &str, file: &[u8]) {
    alice.upload_finish(id, Some(&md5_hex(file))).await.unwrap();
    let path = dir.join("homes/alice").join(name);
    assert_eq!(std::fs::read(path).unwrap(), file);
}

#[track_caller]
fn assert_all_not_found(state: &str, answers: &[(&'static str, String)]) {
    let wrong: Vec<_> = answers
        .iter()
        .filter(|(_, code)| code != "upload_not_found")
        .collect();
    assert!(
        wrong.is_empty(),
        "while alice's upload is {state}, bob's operations on its id must all answer \
         upload_not_found; these did not: {wrong:?}"
    );
}

#[tokio::test]
async fn another_users_upload_id_is_not_found_while_its_owner_holds_it() {
    let (tmp, ferry) = setup().await;
    let file = data(SIZE);
    let mut alice = session(&ferry, "alice").await;
    let mut bob = session(&ferry, "bob").await;
    let id = alices_upload(&mut alice, "f.bin", &file).await;

    // Idle: nobody writes it.
    assert_all_not_found("idle", &bobs_answers(&mut bob, &id, 0).await);

    // Held: alice's session wrote a chunk and is still alive, so it keeps the upload.
    alice
        .upload_write_chunk(&id, 0, Bytes::copy_from_slice(&file[..1000]), None)
        .await
        .unwrap();
    assert_all_not_found(
        "held by alice's session",
        &bobs_answers(&mut bob, &id, 1000).await,
    );

    // Nothing bob tried changed alice's upload: she finishes it to the exact file.
    alice
        .upload_write_chunk(&id, 1000, Bytes::copy_from_slice(&file[1000..]), None)
        .await
        .unwrap();
    finish_exact(&mut alice, &id, tmp.path(), "f.bin", &file).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_upload_id_is_not_found_while_its_owner_is_mid_write() {
    let (tmp, ferry) = setup().await;
    let file = data(SIZE);
    let mut alice = session(&ferry, "alice").await;
    let watcher = session(&ferry, "alice").await;
    let mut bob = session(&ferry, "bob").await;
    let id = alices_upload(&mut alice, "slow.bin", &file).await;

    // Alice streams the file from a slow source: half of it now, the rest later.
    let (mut source, body) = tokio::io::duplex(64 * 1024);
    let writing = {
        let id = id.clone();
        tokio::spawn(async move {
            let offset = alice.upload_write(&id, 0, body, None).await;
            (alice, offset)
        })
    };
    let half = SIZE / 2;
    source.write_all(&file[..half]).await.unwrap();
    // The write is under way once bytes reach the staging file.
    let deadline = Instant::now() + Duration::from_secs(20);
    while watcher.upload_status(&id).await.unwrap().offset == 0 {
        assert!(Instant::now() < deadline, "alice's write never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!writing.is_finished(), "alice's write is still in progress");

    let answers = bobs_answers(&mut bob, &id, 0).await;

    source.write_all(&file[half..]).await.unwrap();
    drop(source);
    let (mut alice, offset) = writing.await.unwrap();
    assert_eq!(offset.unwrap(), SIZE as u64);
    finish_exact(&mut alice, &id, tmp.path(), "slow.bin", &file).await;
    assert_all_not_found("being written by alice", &answers);
}
