//! A writer outlives a request: a sequence of HTTP chunks reads the upload's record once,
//! not once per chunk. Counted through a wrapper around the real metadata store.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use ferry_core::store::{
    Account, Lease, Ledger, MetaStore, QuotaCommit, ShareRecord, TokenRecord, UploadRecord,
};
use ferry_core::upload_id::UploadId;
use ferry_core::username::Username;
use ferry_core::{Config, Ferry, Result};
use ferry_store_local::{LocalBlobStore, LocalMetaStore};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use md5::Digest;
use tower::ServiceExt;

/// The local store, counting `upload` (record reads).
#[derive(Debug)]
struct Counting {
    inner: LocalMetaStore,
    record_reads: AtomicUsize,
}

#[async_trait]
impl MetaStore for Counting {
    async fn account(&self, name: &Username) -> Result<Option<Account>> {
        self.inner.account(name).await
    }
    async fn create_account(&self, account: &Account) -> Result<()> {
        self.inner.create_account(account).await
    }
    async fn update_account(&self, account: &Account) -> Result<()> {
        self.inner.update_account(account).await
    }
    async fn remove_account(&self, name: &Username) -> Result<()> {
        self.inner.remove_account(name).await
    }
    async fn accounts(&self) -> Result<Vec<Account>> {
        self.inner.accounts().await
    }
    async fn upload(&self, id: &UploadId) -> Result<Option<UploadRecord>> {
        self.record_reads.fetch_add(1, Ordering::SeqCst);
        self.inner.upload(id).await
    }
    async fn create_upload(&self, record: &UploadRecord) -> Result<()> {
        self.inner.create_upload(record).await
    }
    async fn create_transient_upload(&self, record: &UploadRecord) -> Result<()> {
        self.inner.create_transient_upload(record).await
    }
    async fn save_upload(&self, record: &UploadRecord, lease: &Lease) -> Result<()> {
        self.inner.save_upload(record, lease).await
    }
    async fn remove_upload(&self, id: &UploadId) -> Result<()> {
        self.inner.remove_upload(id).await
    }
    async fn uploads_of(&self, user: &Username) -> Result<Vec<UploadRecord>> {
        self.inner.uploads_of(user).await
    }
    async fn expired_uploads(&self, now: i64) -> Result<Vec<UploadRecord>> {
        self.inner.expired_uploads(now).await
    }
    async fn lease_take(&self, id: &UploadId, holder: &str, ttl: Duration) -> Result<Lease> {
        self.inner.lease_take(id, holder, ttl).await
    }
    async fn lease_renew(&self, lease: &Lease, ttl: Duration) -> Result<()> {
        self.inner.lease_renew(lease, ttl).await
    }
    async fn lease_release(&self, lease: &Lease) -> Result<()> {
        self.inner.lease_release(lease).await
    }
    async fn quota_get(&self, user: &Username) -> Result<Option<Ledger>> {
        self.inner.quota_get(user).await
    }
    async fn quota_init(&self, user: &Username, used: u64, reserved: u64) -> Result<Ledger> {
        self.inner.quota_init(user, used, reserved).await
    }
    async fn quota_reserve(
        &self,
        user: &Username,
        bytes: u64,
        limit: Option<u64>,
    ) -> Result<Ledger> {
        self.inner.quota_reserve(user, bytes, limit).await
    }
    async fn quota_release(&self, user: &Username, bytes: u64) -> Result<()> {
        self.inner.quota_release(user, bytes).await
    }
    async fn quota_begin_commit(&self, c: &QuotaCommit, limit: Option<u64>) -> Result<()> {
        self.inner.quota_begin_commit(c, limit).await
    }
    async fn quota_abort_commit(&self, c: &QuotaCommit) -> Result<()> {
        self.inner.quota_abort_commit(c).await
    }
    async fn quota_begin_free(&self, user: &Username) -> Result<()> {
        self.inner.quota_begin_free(user).await
    }
    async fn quota_end_change(&self, user: &Username, freed: u64) -> Result<()> {
        self.inner.quota_end_change(user, freed).await
    }
    async fn quota_resync(&self, user: &Username, used: u64, generation: u64) -> Result<Ledger> {
        self.inner.quota_resync(user, used, generation).await
    }
    async fn token(&self, hash: &str) -> Result<Option<TokenRecord>> {
        self.inner.token(hash).await
    }
    async fn put_token(&self, hash: &str, record: &TokenRecord) -> Result<()> {
        self.inner.put_token(hash, record).await
    }
    async fn remove_token(&self, hash: &str) -> Result<()> {
        self.inner.remove_token(hash).await
    }
    async fn tokens_of(&self, user: &Username) -> Result<Vec<(String, TokenRecord)>> {
        self.inner.tokens_of(user).await
    }
    async fn expired_tokens(&self, now: i64) -> Result<Vec<String>> {
        self.inner.expired_tokens(now).await
    }
    async fn secret(&self) -> Result<[u8; 32]> {
        self.inner.secret().await
    }
    async fn share(&self, key: &str) -> Result<Option<ShareRecord>> {
        self.inner.share(key).await
    }
    async fn create_share(&self, key: &str, record: &ShareRecord) -> Result<()> {
        self.inner.create_share(key, record).await
    }
    async fn revoke_share(&self, key: &str) -> Result<()> {
        self.inner.revoke_share(key).await
    }
    async fn count_share_download(&self, key: &str) -> Result<ShareRecord> {
        self.inner.count_share_download(key).await
    }
    async fn shares_of(&self, owner: &Username) -> Result<Vec<(String, ShareRecord)>> {
        self.inner.shares_of(owner).await
    }
}

#[tokio::test]
async fn an_http_chunk_sequence_reads_the_upload_record_at_most_once() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let meta = Arc::new(Counting {
        inner: LocalMetaStore::open(&data_dir.join("state")).unwrap(),
        record_reads: AtomicUsize::new(0),
    });
    let blobs = Arc::new(LocalBlobStore::open(&data_dir).unwrap());
    let ferry = Ferry::with_stores(Config::new(&data_dir), meta.clone(), blobs.clone(), blobs)
        .await
        .unwrap();
    ferry
        .add_user(
            crate::support::USER.parse().unwrap(),
            crate::support::PASSWORD.into(),
            None,
        )
        .await
        .unwrap();
    let app = ferry_http::app(ferry, ferry_http::Limits::default());
    let auth = crate::support::basic(crate::support::USER, crate::support::PASSWORD);

    let chunk = 64 * 1024;
    let chunks = 8;
    let body: Vec<u8> = (0..chunk * chunks).map(|i| (i % 251) as u8).collect();
    let md5 = hex::encode(md5::Md5::digest(&body));
    let create = Request::post("/api/v1/uploads")
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .body(Body::from(format!(
            r#"{{"path":"/counted.bin","size":{},"md5":"{md5}"}}"#,
            body.len()
        )))
        .unwrap();
    let resp = app.clone().oneshot(create).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created = resp.into_body().collect().await.unwrap().to_bytes();
    let id = serde_json::from_slice::<serde_json::Value>(&created).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let reads_before = meta.record_reads.load(Ordering::SeqCst);
    for i in 0..chunks {
        let (first, last) = (i * chunk, (i + 1) * chunk - 1);
        let put = Request::put(format!("/api/v1/uploads/{id}"))
            .header("authorization", &auth)
            .header(
                "content-range",
                format!("bytes {first}-{last}/{}", body.len()),
            )
            .body(Body::from(body[first..=last].to_vec()))
            .unwrap();
        let resp = app.clone().oneshot(put).await.unwrap();
        let want = if i + 1 == chunks {
            StatusCode::CREATED
        } else {
            StatusCode::PERMANENT_REDIRECT
        };
        assert_eq!(resp.status(), want, "chunk {i}");
    }
    let reads = meta.record_reads.load(Ordering::SeqCst) - reads_before;
    // Zero when the create left its record with the open writer, one when a status query or
    // the first chunk had to read it; never one per chunk.
    assert!(
        reads <= 1,
        "{chunks} chunks read the upload record {reads} times"
    );
    assert_eq!(
        std::fs::read(data_dir.join("homes/alice/counted.bin")).unwrap(),
        body
    );
}
