//! The upload lifecycle: quota reservations under a race, bad offsets, chunks and checksums,
//! over-long bodies, and one writer per upload.

use bytes::Bytes;
use ferry_core::ChunkDigest;

use crate::support::{code, data, md5_hex, session, start};

#[tokio::test]
async fn two_racing_uploads_cannot_both_take_the_last_quota() {
    let (_tmp, ferry, mut a) = start("bob").await;
    let mut b = session(&ferry, "bob").await;
    let (ra, rb) = tokio::join!(
        a.upload_create("a", 600, None, false),
        b.upload_create("b", 600, None, false)
    );
    let codes: Vec<_> = [ra.map(|_| "ok"), rb.map(|_| "ok")]
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| e.code()))
        .collect();
    assert!(
        codes.contains(&"ok") && codes.contains(&"quota_exceeded"),
        "{codes:?}"
    );
    let q = a.quota().await.unwrap();
    assert_eq!((q.used, q.reserved, q.limit), (0, 600, Some(1000)));
}

#[tokio::test]
async fn upload_lifecycle_with_bad_offsets_chunks_and_checksums() {
    let (tmp, _ferry, mut s) = start("alice").await;
    let body = data(3000);
    let up = s.upload_create("f.bin", 3000, None, false).await.unwrap();
    let id = up.id.to_string();
    assert_eq!(up.offset, 0);
    let chunk = Bytes::copy_from_slice(&body[..1000]);
    assert_eq!(
        s.upload_write_chunk(&id, 0, chunk.clone(), Some(crc32c::crc32c(&chunk)))
            .await
            .unwrap(),
        1000
    );
    let err = s
        .upload_write_chunk(&id, 500, chunk.clone(), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "offset_mismatch");
    assert_eq!(err.details().unwrap()["offset"], 1000);
    let next = Bytes::copy_from_slice(&body[1000..2000]);
    assert_eq!(
        code(s.upload_write_chunk(&id, 1000, next.clone(), Some(1)).await),
        "chunk_checksum_mismatch"
    );
    assert_eq!(s.upload_status(&id).await.unwrap().offset, 1000);
    assert_eq!(
        code(
            s.upload_write_chunk(&id, 1000, Bytes::from(vec![0; 2001]), None)
                .await
        ),
        "size_exceeded"
    );
    assert_eq!(
        code(s.upload_finish(&id, Some(&md5_hex(&body))).await),
        "upload_incomplete"
    );
    s.upload_write_chunk(&id, 1000, next, None).await.unwrap();
    s.upload_write(&id, 2000, &body[2000..], None)
        .await
        .unwrap();
    assert_eq!(code(s.upload_finish(&id, None).await), "md5_required");
    assert_eq!(
        code(s.upload_finish(&id, Some(&md5_hex(b"other"))).await),
        "checksum_mismatch"
    );
    let home = tmp.path().join("homes/alice");
    assert!(
        !home.join("f.bin").exists(),
        "nothing may appear after a checksum mismatch"
    );
    assert_eq!(code(s.upload_status(&id).await), "upload_not_found");

    let up = s
        .upload_create("f.bin", 3000, Some(&md5_hex(&body)), false)
        .await
        .unwrap();
    let id = up.id.to_string();
    s.upload_write(&id, 0, &body[..], None).await.unwrap();
    let entry = s.upload_finish(&id, None).await.unwrap();
    assert_eq!(entry.md5.unwrap().to_string(), md5_hex(&body));
    assert_eq!(std::fs::read(home.join("f.bin")).unwrap(), body);
    assert!(s.upload_list().await.unwrap().is_empty());
    assert_eq!(
        std::fs::read_dir(tmp.path().join("state/staging"))
            .unwrap()
            .count(),
        0
    );

    // The target exists now: a new upload needs overwrite, and replaces it only when complete.
    assert_eq!(
        code(s.upload_create("f.bin", 5, None, false).await),
        "already_exists"
    );
    let up = s.upload_create("f.bin", 5, None, true).await.unwrap();
    let id = up.id.to_string();
    s.upload_write(&id, 0, &b"hel"[..], None).await.unwrap();
    assert_eq!(
        std::fs::read(home.join("f.bin")).unwrap(),
        body,
        "never truncated before commit"
    );
    s.upload_write(&id, 3, &b"lo"[..], None).await.unwrap();
    s.upload_finish(&id, Some(&md5_hex(b"hello")))
        .await
        .unwrap();
    assert_eq!(std::fs::read(home.join("f.bin")).unwrap(), b"hello");
}

#[tokio::test]
async fn a_body_longer_than_the_upload_keeps_only_the_in_range_bytes() {
    let (_tmp, _ferry, mut s) = start("alice").await;
    let up = s.upload_create("g", 4, None, false).await.unwrap();
    let id = up.id.to_string();
    assert_eq!(
        code(s.upload_write(&id, 0, &b"abcdef"[..], None).await),
        "size_exceeded"
    );
    assert_eq!(s.upload_status(&id).await.unwrap().offset, 4);
    // A body whose checksum does not match is cut back off entirely.
    let up2 = s.upload_create("h", 6, None, false).await.unwrap();
    let id2 = up2.id.to_string();
    assert_eq!(
        code(
            s.upload_write(&id2, 0, &b"abc"[..], Some(ChunkDigest::Crc32c(7)))
                .await
        ),
        "chunk_checksum_mismatch"
    );
    assert_eq!(s.upload_status(&id2).await.unwrap().offset, 0);
    s.upload_write(
        &id2,
        0,
        &b"abcdef"[..],
        Some(ChunkDigest::Crc32c(crc32c::crc32c(b"abcdef"))),
    )
    .await
    .unwrap();
    s.upload_finish(&id2, Some(&md5_hex(b"abcdef")))
        .await
        .unwrap();
}

#[tokio::test]
async fn one_writer_per_upload_until_the_first_session_ends() {
    let (_tmp, ferry, mut a) = start("alice").await;
    let mut b = session(&ferry, "alice").await;
    let up = a.upload_create("x", 10, None, false).await.unwrap();
    let id = up.id.to_string();
    a.upload_write(&id, 0, &b"12345"[..], None).await.unwrap();
    assert_eq!(
        code(b.upload_write(&id, 5, &b"67890"[..], None).await),
        "upload_busy"
    );
    assert_eq!(code(b.upload_cancel(&id).await), "upload_busy");
    assert_eq!(b.upload_status(&id).await.unwrap().offset, 5);
    drop(a);
    b.upload_write(&id, 5, &b"67890"[..], None).await.unwrap();
    b.upload_finish(&id, Some(&md5_hex(b"1234567890")))
        .await
        .unwrap();
    // Another user cannot even see the upload.
    let mut c = session(&ferry, "bob").await;
    let up = b.upload_create("y", 1, None, false).await.unwrap();
    assert_eq!(
        code(c.upload_write(&up.id.to_string(), 0, &b"z"[..], None).await),
        "upload_not_found"
    );
}
