//! Uploads of several parts: the part size Ferry enforces, and another node continuing.

use bytes::Bytes;
use ferry_core::store::{FileStore, UploadStore};
use ferry_store_s3::DEFAULT_PART_SIZE;

use super::{fresh, md5_of, node, path, pattern, record, user};

const PART: usize = DEFAULT_PART_SIZE as usize;

#[tokio::test]
async fn an_upload_of_two_parts_and_a_tail_continued_by_another_node_is_byte_exact() {
    let (config, uploads, files) = fresh();
    let owner = user("big");
    files.create_home(&owner).await.unwrap();
    let data = pattern(2 * PART + 3 * 1024 * 1024 + 17, 7);
    let r = record(&owner, "/big.bin", data.len() as u64, false);
    let mut h = uploads.create(&r.id).await.unwrap();
    // Chunks that never line up with a part, with a rejected chunk in between.
    let chunk = 3 * 1024 * 1024 + 5;
    let half = PART + PART / 2;
    let mut at = 0;
    while at < half {
        let end = (at + chunk).min(half);
        h.append(Bytes::copy_from_slice(&data[at..end]))
            .await
            .unwrap();
        h.accept().await.unwrap();
        h.flush().await.unwrap();
        h.append(Bytes::from_static(b"garbage")).await.unwrap();
        h.rollback().await.unwrap();
        at = end;
    }
    assert_eq!(h.len(), half as u64);
    drop(h);
    assert_eq!(uploads.part_sizes(&r.id).await.unwrap(), [PART as u64]);

    // Another node: a fresh store instance sees the accepted bytes and continues.
    let (other, other_files) = node(&config);
    assert_eq!(other.len(&r.id).await.unwrap(), half as u64);
    let mut h = other.open(&r.id).await.unwrap();
    assert_eq!(h.len(), half as u64);
    while at < data.len() {
        let end = (at + chunk).min(data.len());
        h.append(Bytes::copy_from_slice(&data[at..end]))
            .await
            .unwrap();
        h.accept().await.unwrap();
        at = end;
    }
    assert_eq!(h.len(), data.len() as u64);
    h.flush().await.unwrap();
    drop(h);
    let sizes = other.part_sizes(&r.id).await.unwrap();
    assert_eq!(
        sizes,
        [PART as u64, PART as u64],
        "every shipped part is exactly a part"
    );
    let tail = other
        .read_range(&r.id, 2 * PART as u64, usize::MAX / 2)
        .await
        .unwrap();
    assert_eq!(&tail[..], &data[2 * PART..], "the tail reads back");

    let (entry, replaced) = other.commit(&r, &md5_of(&data)).await.unwrap();
    assert_eq!((entry.size, replaced), (data.len() as u64, 0));
    let opened = other_files.open(&owner, &path("/big.bin")).await.unwrap();
    assert_eq!(opened.entry.size, data.len() as u64);
    assert_eq!(
        opened.entry.md5,
        Some(md5_of(&data)),
        "the MD5 is kept with the file"
    );
    let mut read = Vec::with_capacity(data.len());
    while read.len() < data.len() {
        let block = opened
            .reader
            .read_at(read.len() as u64, 5 * 1024 * 1024 + 3)
            .await
            .unwrap();
        assert!(!block.is_empty());
        read.extend_from_slice(&block);
    }
    assert!(read == data, "the committed file is byte-exact");
    assert_eq!(
        uploads.len(&r.id).await.unwrap_err().code(),
        "upload_not_found",
        "a committed upload's bytes are gone"
    );
}

#[tokio::test]
async fn one_large_accept_is_cut_into_exact_parts() {
    let (_, uploads, files) = fresh();
    let owner = user("cut");
    files.create_home(&owner).await.unwrap();
    let data = pattern(2 * PART + 1, 3);
    let r = record(&owner, "/cut.bin", data.len() as u64, false);
    let mut h = uploads.create(&r.id).await.unwrap();
    h.append(Bytes::copy_from_slice(&data[..10])).await.unwrap();
    h.accept().await.unwrap();
    h.append(Bytes::copy_from_slice(&data[10..])).await.unwrap();
    h.accept().await.unwrap();
    assert_eq!(
        uploads.len(&r.id).await.unwrap(),
        0,
        "accepted bytes reach the bucket at a flush"
    );
    h.flush().await.unwrap();
    drop(h);
    assert_eq!(
        uploads.part_sizes(&r.id).await.unwrap(),
        [PART as u64, PART as u64]
    );
    assert_eq!(uploads.len(&r.id).await.unwrap(), data.len() as u64);
    uploads.commit(&r, &md5_of(&data)).await.unwrap();
    let opened = files.open(&owner, &path("/cut.bin")).await.unwrap();
    let last = opened
        .reader
        .read_at(2 * PART as u64 - 1, 10)
        .await
        .unwrap();
    assert_eq!(&last[..], &data[2 * PART - 1..]);
}

#[tokio::test]
async fn a_discarded_upload_of_parts_leaves_nothing() {
    let (_, uploads, _) = fresh();
    let owner = user("gone");
    let data = pattern(PART + 100, 1);
    let r = record(&owner, "/x", data.len() as u64, false);
    let mut h = uploads.create(&r.id).await.unwrap();
    h.append(Bytes::from(data)).await.unwrap();
    h.accept().await.unwrap();
    h.flush().await.unwrap();
    drop(h);
    let before = std::time::SystemTime::now() + std::time::Duration::from_secs(60);
    assert_eq!(uploads.staged_before(before).await.unwrap(), [r.id]);
    uploads.discard(&r.id).await.unwrap();
    assert_eq!(
        uploads.open(&r.id).await.unwrap_err().code(),
        "upload_not_found"
    );
    assert!(uploads.staged_before(before).await.unwrap().is_empty());
}
