//! Crash recovery and expiry: a checkpointed hash resumed after a kill, a checkpoint ahead of
//! the staged bytes, and expired uploads swept with their reservations.

use std::time::Duration;

use ferry_core::Config;

use crate::support::{code, data, md5_hex, session, setup};

#[tokio::test]
async fn a_crash_loses_nothing_and_resumes_from_the_checkpointed_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let body = data(5 * 1024 * 1024 + 17);
    let id = {
        let ferry = setup(tmp.path(), |c| c.checkpoint_bytes = 1024 * 1024).await;
        let mut s = session(&ferry, "alice").await;
        let up = s
            .upload_create("big", body.len() as u64, None, false)
            .await
            .unwrap();
        let id = up.id.to_string();
        s.upload_write(&id, 0, &body[..3 * 1024 * 1024 + 5], None)
            .await
            .unwrap();
        // Simulate kill -9: no Drop runs, so no final checkpoint is written.
        std::mem::forget(s);
        id
    };
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join(format!("state/uploads/{id}.json"))).unwrap(),
    )
    .unwrap();
    // The running MD5 is hashed one block behind the bytes, so a checkpoint covers what was
    // hashed when it was taken: never more than the staged bytes, at most a block behind.
    let hashed = record["hashed"].as_u64().unwrap();
    assert!(
        (2 * 1024 * 1024..=3 * 1024 * 1024 + 5).contains(&hashed),
        "the last checkpoint trails the bytes by at most one block: {hashed}"
    );
    let ferry = ferry_store_local::open(Config::new(tmp.path()))
        .await
        .unwrap();
    let mut s = session(&ferry, "alice").await;
    let offset = s.upload_status(&id).await.unwrap().offset;
    assert_eq!(offset, 3 * 1024 * 1024 + 5);
    s.upload_write(&id, offset, &body[offset as usize..], None)
        .await
        .unwrap();
    let entry = s.upload_finish(&id, Some(&md5_hex(&body))).await.unwrap();
    assert_eq!(entry.size, body.len() as u64);
}

#[tokio::test]
async fn a_checkpoint_ahead_of_the_staged_bytes_falls_back_to_rehashing() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |c| c.checkpoint_bytes = 4).await;
    let mut s = session(&ferry, "alice").await;
    let up = s.upload_create("z", 10, None, false).await.unwrap();
    let id = up.id.to_string();
    s.upload_write(&id, 0, &b"abcdefgh"[..], None)
        .await
        .unwrap();
    drop(s);
    // Lose the tail of the staging file, as a power cut could.
    let staged = tmp.path().join(format!("state/staging/{id}.part"));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&staged)
        .unwrap()
        .set_len(3)
        .unwrap();
    let mut s = session(&ferry, "alice").await;
    assert_eq!(s.upload_status(&id).await.unwrap().offset, 3);
    s.upload_write(&id, 3, &b"defghij"[..], None).await.unwrap();
    s.upload_finish(&id, Some(&md5_hex(b"abcdefghij")))
        .await
        .unwrap();
}

#[tokio::test]
async fn expired_uploads_are_swept_and_release_their_reservation() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |c| c.upload_ttl = Duration::ZERO).await;
    let mut s = session(&ferry, "bob").await;
    let up = s.upload_create("a", 900, None, false).await.unwrap();
    drop(s);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(ferry.sweep_expired().await.unwrap(), 1);
    let mut s = session(&ferry, "bob").await;
    assert_eq!(
        code(s.upload_status(&up.id.to_string()).await),
        "upload_not_found"
    );
    s.upload_create("b", 900, None, false).await.unwrap();
}
