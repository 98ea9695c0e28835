//! The engine pieces the standard resumable dialects need: a newer session ends an older one's
//! body read (newer request wins), a length stated after creation shrinks the reservation, a
//! SHA-256 announced at create is verified at commit, and a committed upload is remembered.

use std::time::Duration;

use ferry_core::NewUpload;
use sha2::Digest;

use crate::support::{code, data, md5_hex, session, start};

#[tokio::test]
async fn a_newer_session_ends_an_older_ones_read_and_keeps_its_bytes() {
    let (_tmp, ferry, mut old) = start("alice").await;
    let body = data(5000);
    let id = old
        .upload_create("n.bin", 5000, None, false)
        .await
        .unwrap()
        .id
        .to_string();
    // The old session's body: 1200 bytes, then silence (a connection that broke unnoticed).
    let (mut tx, rx) = tokio::io::duplex(64 * 1024);
    let first = body[..1200].to_vec();
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        tx.write_all(&first).await.unwrap();
        std::future::pending::<()>().await;
        drop(tx);
    });
    let writing = {
        let id = id.clone();
        tokio::spawn(async move { old.upload_write(&id, 0, rx, None).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;

    // A session that does not let newer requests win is refused, as before.
    let mut plain = session(&ferry, "alice").await;
    assert_eq!(
        code(plain.upload_write(&id, 0, &b""[..], None).await),
        "upload_busy"
    );
    let mut newer = session(&ferry, "alice").await;
    newer.newer_request_wins();
    assert_eq!(newer.upload_status_latest(&id).await.unwrap().offset, 1200);
    assert_eq!(code(writing.await.unwrap()), "upload_superseded");
    newer
        .upload_write(&id, 1200, &body[1200..], None)
        .await
        .unwrap();
    newer
        .upload_finish(&id, Some(&md5_hex(&body)))
        .await
        .unwrap();
    // Committed, and remembered so: finishing it again is `upload_completed`.
    assert!(newer.upload_completed(&id).is_some());
    assert_eq!(
        code(newer.upload_finish(&id, None).await),
        "upload_completed"
    );
}

#[tokio::test]
async fn a_deferred_length_reserves_the_quota_left_until_it_is_stated() {
    let (_tmp, _ferry, mut s) = start("bob").await;
    let new = NewUpload::default();
    let up = s.upload_create_new("d.bin", new).await.unwrap();
    let id = up.id.to_string();
    assert!(up.length_deferred);
    assert_eq!(s.quota().await.unwrap().reserved, 1000, "bob's whole quota");
    s.upload_write(&id, 0, &b"hello"[..], None).await.unwrap();
    assert_eq!(code(s.upload_set_length(&id, 4).await), "size_mismatch");
    assert_eq!(code(s.upload_set_length(&id, 1001).await), "quota_exceeded");
    let info = s.upload_set_length(&id, 11).await.unwrap();
    assert!(!info.length_deferred);
    assert_eq!(s.quota().await.unwrap().reserved, 11);
    assert_eq!(code(s.upload_set_length(&id, 12).await), "size_mismatch");
    s.upload_write(&id, 5, &b" world"[..], None).await.unwrap();
    s.upload_finish(&id, Some(&md5_hex(b"hello world")))
        .await
        .unwrap();
    let q = s.quota().await.unwrap();
    assert_eq!((q.used, q.reserved), (11, 0));

    // Finished without ever stating it: the bytes held are the file.
    let id = s
        .upload_create_new("e.bin", NewUpload::default())
        .await
        .unwrap()
        .id
        .to_string();
    s.upload_write(&id, 0, &b"abc"[..], None).await.unwrap();
    let entry = s.upload_finish(&id, Some(&md5_hex(b"abc"))).await.unwrap();
    assert_eq!(entry.size, 3);
    assert_eq!(s.quota().await.unwrap().reserved, 0);
}

#[tokio::test]
async fn a_sha256_announced_at_create_is_verified_at_commit() {
    let (tmp, _ferry, mut s) = start("alice").await;
    let body = data(3000);
    for (name, sha, ok) in [
        ("good.bin", sha2::Sha256::digest(&body), true),
        ("bad.bin", sha2::Sha256::digest(b"other"), false),
    ] {
        let new = NewUpload {
            size: Some(3000),
            sha256: Some(sha.into()),
            ..NewUpload::default()
        };
        let id = s.upload_create_new(name, new).await.unwrap().id.to_string();
        s.upload_write(&id, 0, &body[..], None).await.unwrap();
        let finished = s.upload_finish(&id, Some(&md5_hex(&body))).await;
        assert_eq!(finished.is_ok(), ok, "{name}: {finished:?}");
        if !ok {
            assert_eq!(code(finished), "checksum_mismatch");
        }
        let path = tmp.path().join("homes/alice").join(name);
        assert_eq!(path.exists(), ok, "{name}");
    }
}
