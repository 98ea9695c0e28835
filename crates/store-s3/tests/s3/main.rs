//! The S3 stores against a real three-node Garage cluster (see `ferry_store_s3::testing` for
//! which), each test under a key prefix of its own: the core's conformance suites
//! (`conformance`), uploads of several parts continued by another node (`uploads`), and
//! reads and folder operations (`files`).

mod conformance;
mod files;
mod uploads;

use std::sync::Arc;

use bytes::Bytes;
use ferry_core::md5hex::Md5Digest;
use ferry_core::model::unix_now;
use ferry_core::path::HomePath;
use ferry_core::store::{UploadRecord, UploadStore};
use ferry_core::upload_id::UploadId;
use ferry_core::username::Username;
use ferry_store_s3::testing::fresh_config;
use ferry_store_s3::{S3Config, S3FileStore, S3UploadStore};
use md5::{Digest, Md5};

/// Both stores on a fresh prefix: one node.
fn node(config: &S3Config) -> (Arc<S3UploadStore>, Arc<S3FileStore>) {
    (
        Arc::new(S3UploadStore::new(config).unwrap()),
        Arc::new(S3FileStore::new(config).unwrap()),
    )
}

fn fresh() -> (S3Config, Arc<S3UploadStore>, Arc<S3FileStore>) {
    let config = fresh_config();
    let (uploads, files) = node(&config);
    (config, uploads, files)
}

fn user(name: &str) -> Username {
    Username::try_from(name).unwrap()
}

fn path(p: &str) -> HomePath {
    HomePath::resolve(&HomePath::root(), p).unwrap()
}

fn md5_of(data: &[u8]) -> Md5Digest {
    Md5Digest(Md5::digest(data).into())
}

/// A record for an upload of `data.len()` bytes to `to`.
fn record(owner: &Username, to: &str, size: u64, overwrite: bool) -> UploadRecord {
    let now = unix_now();
    UploadRecord {
        id: UploadId::random().unwrap(),
        user: owner.clone(),
        path: path(to),
        size,
        md5: None,
        overwrite,
        created: now,
        expires: now + 600,
        hash_state: None,
        hashed: 0,
        deferred: false,
        sha256: None,
    }
}

/// Uploads `data` to `to` in one chunk and commits it.
async fn put_file(
    uploads: &dyn UploadStore,
    owner: &Username,
    to: &str,
    data: &[u8],
    overwrite: bool,
) {
    let r = record(owner, to, data.len() as u64, overwrite);
    let mut h = uploads.create(&r.id).await.unwrap();
    h.append(Bytes::copy_from_slice(data)).await.unwrap();
    h.accept().await.unwrap();
    h.flush().await.unwrap();
    drop(h);
    uploads.commit(&r, &md5_of(data)).await.unwrap();
}

/// `n` bytes that differ from offset to offset and from `seed` to `seed`.
fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[1] ^ seed)
        .collect()
}
