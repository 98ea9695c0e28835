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
    // The running MD5 is hashed behind the bytes (on a stage with a few blocks queued), so a
    // checkpoint covers what was hashed when it was taken: never more than the staged bytes,
    // and always a point where every byte was accepted (here a 1 MiB block boundary, or the
    // end of the write). The resume below re-hashes whatever it trails by.
    let hashed = record["hashed"].as_u64().unwrap();
    let mib = 1024 * 1024;
    assert!(
        [0, mib, 2 * mib, 3 * mib, 3 * mib + 5].contains(&hashed),
        "the last checkpoint is an accepted point within the staged bytes: {hashed}"
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

/// Names of the files in `dir`.
fn names(dir: &std::path::Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_whole_file_put_keeps_its_record_in_memory_and_is_listed_while_it_runs() {
    use tokio::io::AsyncWriteExt;
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    // A one-byte pipe: once `abcde` is written, the put has read at least four bytes of it.
    let (mut tx, rx) = tokio::io::duplex(1);
    let mut s = session(&ferry, "alice").await;
    let put = tokio::spawn(async move { s.put_file("f", 10, rx, None, false).await });
    tx.write_all(b"abcde").await.unwrap();
    let staging = tmp.path().join("state/staging");
    // No staging name (its bytes are unnamed until the commit) and no record file: the put's
    // record lives in memory, and is seen like any other.
    assert_eq!(names(&staging), Vec::<String>::new());
    assert_eq!(
        names(&tmp.path().join("state/uploads")),
        Vec::<String>::new()
    );
    let listed = session(&ferry, "alice").await.upload_list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].size, 10);
    assert!(
        session(&ferry, "bob")
            .await
            .upload_list()
            .await
            .unwrap()
            .is_empty()
    );
    tx.write_all(b"fghij").await.unwrap();
    drop(tx);
    let entry = put.await.unwrap().unwrap();
    assert_eq!(
        entry.md5.map(|m| m.to_string()),
        Some(md5_hex(b"abcdefghij"))
    );
    assert!(names(&staging).is_empty());
    assert!(
        session(&ferry, "alice")
            .await
            .upload_list()
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn staged_bytes_without_a_record_are_swept_once_old() {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |_| {}).await;
    let staging = tmp.path().join("state/staging");
    let age = |name: &str, secs: u64| {
        let f = std::fs::File::options()
            .write(true)
            .open(staging.join(name))
            .unwrap();
        let then = std::time::SystemTime::now() - Duration::from_secs(secs);
        f.set_modified(then).unwrap();
    };
    // What a crash leaves of a whole-file put: bytes, no record.
    let orphan = "0123456789abcdef0123456789abcdef.part";
    let fresh = "fedcba9876543210fedcba9876543210.part";
    for name in [orphan, fresh, "not-an-upload.part"] {
        std::fs::write(staging.join(name), b"left").unwrap();
    }
    age(orphan, 16 * 60);
    age("not-an-upload.part", 16 * 60);
    // A resumable upload left alone as long keeps its bytes: it has a record.
    let mut s = session(&ferry, "alice").await;
    let up = s.upload_create("kept", 10, None, false).await.unwrap();
    let id = up.id.to_string();
    s.upload_write(&id, 0, &b"abc"[..], None).await.unwrap();
    drop(s);
    age(&format!("{id}.part"), 16 * 60);

    assert_eq!(ferry.sweep_expired().await.unwrap(), 1);
    let mut left = vec![
        fresh.to_string(),
        format!("{id}.part"),
        "not-an-upload.part".into(),
    ];
    left.sort();
    assert_eq!(names(&staging), left);
    let s = session(&ferry, "alice").await;
    assert_eq!(s.upload_status(&id).await.unwrap().offset, 3);
}
