//! Per-write MD5 and SHA-256 digests: a mismatch cuts back exactly what the call wrote, and
//! the upload resumes with the right MD5, even after a crash.

use ferry_core::ChunkDigest;
use md5::{Digest, Md5};
use sha2::Sha256;

use crate::support::{code, config, data, md5_hex, session, setup};

/// Writes `good` in two calls, each first sent with a wrong digest of the given kind.
async fn wrong_then_right(kind: fn(&[u8]) -> ChunkDigest, checkpoint_bytes: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let ferry = setup(tmp.path(), |c| c.checkpoint_bytes = checkpoint_bytes).await;
    let mut s = session(&ferry, "alice").await;
    let body = data(3 * 1024 * 1024 + 123);
    let cut = 1024 * 1024 + 7;
    let up = s
        .upload_create("f.bin", body.len() as u64, None, false)
        .await
        .unwrap();
    let id = up.id.to_string();
    let staging = tmp.path().join("state/staging").join(format!("{id}.part"));
    let staged_len = || std::fs::metadata(&staging).unwrap().len();

    let (first, second) = body.split_at(cut);
    assert_eq!(
        code(s.upload_write(&id, 0, first, Some(kind(b"other"))).await),
        "chunk_checksum_mismatch"
    );
    assert_eq!(s.upload_status(&id).await.unwrap().offset, 0);
    assert_eq!(staged_len(), 0);
    let at = s
        .upload_write(&id, 0, first, Some(kind(first)))
        .await
        .unwrap();
    assert_eq!(at, cut as u64);

    // The digest covers this call's bytes only, not the upload so far.
    assert_eq!(
        code(s.upload_write(&id, at, second, Some(kind(&body))).await),
        "chunk_checksum_mismatch"
    );
    assert_eq!(s.upload_status(&id).await.unwrap().offset, at);
    assert_eq!(staged_len(), at);

    // Resume after a crash (no clean release, a fresh service on the same folder): the
    // running MD5 is rebuilt from what the refused writes left on disk.
    std::mem::forget(s);
    let ferry = ferry_store_local::open(config(tmp.path(), |c| {
        c.checkpoint_bytes = checkpoint_bytes
    }))
    .await
    .unwrap();
    let mut s = session(&ferry, "alice").await;
    let end = s
        .upload_write(&id, at, second, Some(kind(second)))
        .await
        .unwrap();
    assert_eq!(end, body.len() as u64);
    s.upload_finish(&id, Some(&md5_hex(&body))).await.unwrap();
    assert_eq!(
        std::fs::read(tmp.path().join("homes/alice/f.bin")).unwrap(),
        body
    );
}

#[tokio::test]
async fn an_md5_chunk_digest_mismatch_cuts_back_exactly_what_the_call_wrote() {
    wrong_then_right(|d| ChunkDigest::Md5(Md5::digest(d).into()), 8 * 1024 * 1024).await;
}

#[tokio::test]
async fn a_sha256_chunk_digest_mismatch_cuts_back_exactly_what_the_call_wrote() {
    wrong_then_right(
        |d| ChunkDigest::Sha256(Sha256::digest(d).into()),
        8 * 1024 * 1024,
    )
    .await;
}

#[tokio::test]
async fn a_digest_mismatch_after_a_checkpoint_mid_write_still_resumes_with_the_right_md5() {
    // Checkpoints every 64 KiB: the refused writes are checkpointed part-way through.
    wrong_then_right(|d| ChunkDigest::Sha256(Sha256::digest(d).into()), 64 * 1024).await;
}
