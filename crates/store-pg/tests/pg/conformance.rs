//! The core's store conformance suite, the very functions the embedded store passes.

use ferry_core::store::MetaStore;
use ferry_core::store::conformance;

use super::{fresh, two_nodes};

#[tokio::test]
async fn meta_store_records() {
    conformance::meta_records(fresh().await).await;
}

#[tokio::test]
async fn meta_store_leases() {
    conformance::meta_leases(fresh().await).await;
}

#[tokio::test]
async fn meta_store_quota() {
    conformance::meta_quota(fresh().await).await;
}

#[tokio::test]
async fn every_node_reads_the_secret_the_first_one_stored() {
    let (a, b) = two_nodes().await;
    assert_eq!(a.secret().await.unwrap(), b.secret().await.unwrap());
    assert_ne!(a.secret().await.unwrap(), [0u8; 32]);
}

#[tokio::test]
async fn meta_store_shares() {
    conformance::meta_shares(fresh().await).await;
}
