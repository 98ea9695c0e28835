//! The core's store conformance suites, the very functions the embedded store passes.

use ferry_core::store::conformance;

use super::fresh;

#[tokio::test]
async fn upload_store_bytes() {
    let (_, uploads, files) = fresh();
    conformance::upload_bytes(uploads, files).await;
}

#[tokio::test]
async fn upload_store_transient_bytes() {
    let (_, uploads, files) = fresh();
    conformance::transient_bytes(uploads, files).await;
}

#[tokio::test]
async fn upload_store_hidden_bytes_are_hashed() {
    let (_, uploads, _) = fresh();
    conformance::hidden_bytes_are_hashed(uploads).await;
}

#[tokio::test]
async fn file_store_tree() {
    let (_, _, files) = fresh();
    conformance::file_tree(files).await;
}
