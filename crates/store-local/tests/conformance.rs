//! The core's store conformance suites, run against the embedded stores (each on a fresh data
//! folder). Any other implementation of the seams runs the very same functions.

use std::sync::Arc;

use ferry_core::store::conformance;
use ferry_store_local::{LocalBlobStore, LocalMetaStore};

fn meta(dir: &tempfile::TempDir) -> Arc<LocalMetaStore> {
    Arc::new(LocalMetaStore::open(&dir.path().join("state")).unwrap())
}

fn blobs(dir: &tempfile::TempDir) -> Arc<LocalBlobStore> {
    Arc::new(LocalBlobStore::open(dir.path()).unwrap())
}

#[tokio::test]
async fn meta_store_records() {
    let dir = tempfile::tempdir().unwrap();
    conformance::meta_records(meta(&dir)).await;
}

#[tokio::test]
async fn meta_store_leases() {
    let dir = tempfile::tempdir().unwrap();
    conformance::meta_leases(meta(&dir)).await;
}

#[tokio::test]
async fn meta_store_quota() {
    let dir = tempfile::tempdir().unwrap();
    conformance::meta_quota(meta(&dir)).await;
}

#[tokio::test]
async fn upload_store_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let b = blobs(&dir);
    conformance::upload_bytes(b.clone(), b).await;
}

#[tokio::test]
async fn upload_store_transient_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let b = blobs(&dir);
    conformance::transient_bytes(b.clone(), b).await;
}

#[tokio::test]
async fn upload_store_hidden_bytes_are_hashed() {
    let dir = tempfile::tempdir().unwrap();
    conformance::hidden_bytes_are_hashed(blobs(&dir)).await;
}

#[tokio::test]
async fn file_store_tree() {
    let dir = tempfile::tempdir().unwrap();
    conformance::file_tree(blobs(&dir)).await;
}

#[tokio::test]
async fn meta_store_shares() {
    let dir = tempfile::tempdir().unwrap();
    conformance::meta_shares(meta(&dir)).await;
}
