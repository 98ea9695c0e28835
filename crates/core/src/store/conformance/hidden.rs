//! Bytes a store cannot read back ([`StagingHandle::accept_hides`]): whatever the accepts, a
//! handle opened afresh finds a hash over its first bytes and can read every byte after it.
//! That is what lets a writer on another node continue an upload whose writer died.

use std::sync::Arc;

use bytes::Bytes;
use md5::Digest;
use md5::digest::common::hazmat::SerializableState;

use super::record;
use crate::fast_md5::Md5;
use crate::store::{HashCheckpoint, UploadStore};

const MIB: usize = 1024 * 1024;

/// The serialized MD5 state over `data`.
fn state_over(data: &[u8]) -> String {
    let mut h = Md5::new();
    h.update(data);
    hex::encode(h.serialize())
}

/// Accepts of several sizes, one rolled back, across what a store with 8 MiB (or smaller)
/// parts ships: after each, a fresh handle's hash checkpoint is the MD5 state over the bytes
/// it covers, and every accepted byte past it reads back exactly.
pub async fn hidden_bytes_are_hashed(uploads: Arc<dyn UploadStore>) {
    let r = record("conf-hidden", 0);
    let sizes = [3 * MIB, 6 * MIB, MIB / 2, 4 * MIB + 17, 9 * MIB - 17, 5];
    let total: usize = sizes.iter().sum();
    let data: Vec<u8> = (0..total).map(|i| (i * 7 + i / 4093) as u8).collect();
    let mut h = uploads.create(&r.id).await.expect("create");
    let mut at = 0;
    for (n, size) in sizes.into_iter().enumerate() {
        let chunk = Bytes::copy_from_slice(&data[at..at + size]);
        if n == 3 {
            // A rollback never disturbs what was accepted, hashed or not.
            h.append(chunk.clone()).await.expect("append");
            h.rollback().await.expect("rollback");
        }
        h.append(chunk).await.expect("append");
        let after = at + size;
        if h.accept_hides() {
            let hash = HashCheckpoint {
                covered: after as u64,
                state: state_over(&data[..after]),
            };
            h.accept_hashed(hash).await.expect("accept hashed");
        } else {
            h.accept().await.expect("accept");
        }
        at = after;
        assert_eq!(h.len(), at as u64);
        h.flush().await.expect("flush");
        let again = uploads.open(&r.id).await.expect("reopen");
        assert_eq!(again.len(), at as u64, "accepted bytes survive the handle");
        let from = match again.hash_checkpoint() {
            Some(hash) => {
                let covered = hash.covered as usize;
                assert!(covered <= at, "a hash over {covered} of {at} bytes");
                assert_eq!(hash.state, state_over(&data[..covered]), "the hash kept");
                covered
            }
            None => 0,
        };
        let mut read = from;
        while read < at {
            let got = uploads
                .read_range(&r.id, read as u64, at - read)
                .await
                .unwrap_or_else(|e| panic!("bytes {read}..{at} past the hash: {e:?}"));
            assert!(!got.is_empty(), "bytes {read}..{at} readable");
            assert_eq!(&got[..], &data[read..read + got.len()], "bytes at {read}");
            read += got.len();
        }
    }
    assert_eq!(at, data.len());
    uploads.discard(&r.id).await.expect("discard");
}
