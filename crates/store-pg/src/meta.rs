//! The [`MetaStore`] implementation: accounts, tokens and upload records here, each one
//! statement; leases and quota ledgers delegate to [`crate::lease`] and [`crate::quota`].
//!
//! Nothing is cached: an admin's change (`ferry user …` on any machine) applies on every node
//! at the next request, as it does on the embedded store.

use std::time::Duration;

use async_trait::async_trait;
use ferry_core::store::{
    Account, Lease, Ledger, MetaStore, QuotaCommit, ShareRecord, TokenRecord, UploadRecord,
};
use ferry_core::upload_id::UploadId;
use ferry_core::username::Username;
use ferry_core::{Error, Result};
use tokio_postgres::Row;
use tokio_postgres::types::Json;

use crate::store::PgMetaStore;

/// The hash is what the service makes: 64 lowercase hex digits (the table refuses others too).
fn check_hash(hash: &str) -> Result<()> {
    let valid = hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if valid {
        Ok(())
    } else {
        Err(Error::internal("token hash is not 64 lowercase hex digits"))
    }
}

fn account(row: &Row) -> Result<Account> {
    Ok(row
        .try_get::<_, Json<Account>>(0)
        .map_err(Error::internal)?
        .0)
}

fn upload(row: &Row) -> Result<UploadRecord> {
    Ok(row
        .try_get::<_, Json<UploadRecord>>(0)
        .map_err(Error::internal)?
        .0)
}

fn token(row: &Row) -> Result<TokenRecord> {
    Ok(TokenRecord {
        user: Username::try_from(row.get::<_, &str>("user_name"))?,
        created: row.get("created"),
        expires: row.get("expires"),
    })
}

#[async_trait]
impl MetaStore for PgMetaStore {
    async fn account(&self, name: &Username) -> Result<Option<Account>> {
        let sql = "SELECT account FROM ferry_accounts WHERE name = $1";
        let row = self.query_opt(sql, &[&name.as_str()]).await?;
        row.as_ref().map(account).transpose()
    }

    async fn create_account(&self, a: &Account) -> Result<()> {
        let sql = "INSERT INTO ferry_accounts (name, account) VALUES ($1, $2)
                   ON CONFLICT (name) DO NOTHING";
        match self.execute(sql, &[&a.name.as_str(), &Json(a)]).await? {
            0 => Err(Error::UserExists(a.name.to_string())),
            _ => Ok(()),
        }
    }

    async fn update_account(&self, a: &Account) -> Result<()> {
        let sql = "UPDATE ferry_accounts SET account = $2 WHERE name = $1";
        match self.execute(sql, &[&a.name.as_str(), &Json(a)]).await? {
            0 => Err(Error::UserNotFound(a.name.to_string())),
            _ => Ok(()),
        }
    }

    async fn remove_account(&self, name: &Username) -> Result<()> {
        let sql = "DELETE FROM ferry_accounts WHERE name = $1";
        match self.execute(sql, &[&name.as_str()]).await? {
            0 => Err(Error::UserNotFound(name.to_string())),
            _ => Ok(()),
        }
    }

    async fn accounts(&self) -> Result<Vec<Account>> {
        let sql = r#"SELECT account FROM ferry_accounts ORDER BY name COLLATE "C""#;
        self.query(sql, &[]).await?.iter().map(account).collect()
    }

    async fn upload(&self, id: &UploadId) -> Result<Option<UploadRecord>> {
        let sql = "SELECT record FROM ferry_uploads WHERE id = $1";
        let row = self.query_opt(sql, &[&id.to_string()]).await?;
        row.as_ref().map(upload).transpose()
    }

    async fn create_upload(&self, r: &UploadRecord) -> Result<()> {
        // Ids are random and never reused; a second create of one id (a retry) replaces the
        // record, as the embedded store does, and leaves its lease alone.
        let sql =
            "INSERT INTO ferry_uploads (id, user_name, expires, record) VALUES ($1, $2, $3, $4)
                   ON CONFLICT (id) DO UPDATE
                   SET user_name = EXCLUDED.user_name, expires = EXCLUDED.expires,
                       record = EXCLUDED.record";
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
            [&r.id.to_string(), &r.user.as_str(), &r.expires, &Json(r)];
        self.execute(sql, &params).await.map(drop)
    }

    async fn save_upload(&self, r: &UploadRecord, lease: &Lease) -> Result<()> {
        // Fenced: a writer whose lease was handed on (its fence is older) changes nothing.
        let sql = "UPDATE ferry_uploads SET user_name = $2, expires = $3, record = $4
                   WHERE id = $1 AND fence = $5";
        let fence = crate::store::big(lease.fence);
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] = [
            &r.id.to_string(),
            &r.user.as_str(),
            &r.expires,
            &Json(r),
            &fence,
        ];
        match self.execute(sql, &params).await? {
            0 => Err(Error::UploadBusy(r.id.to_string())),
            _ => Ok(()),
        }
    }

    async fn remove_upload(&self, id: &UploadId) -> Result<()> {
        let sql = "DELETE FROM ferry_uploads WHERE id = $1";
        self.execute(sql, &[&id.to_string()]).await.map(drop)
    }

    async fn uploads_of(&self, user: &Username) -> Result<Vec<UploadRecord>> {
        let sql = "SELECT record FROM ferry_uploads WHERE user_name = $1 ORDER BY id";
        self.query(sql, &[&user.as_str()])
            .await?
            .iter()
            .map(upload)
            .collect()
    }

    async fn upload_count(&self, user: &Username) -> Result<usize> {
        let sql = "SELECT count(*) FROM ferry_uploads WHERE user_name = $1";
        let rows = self.query(sql, &[&user.as_str()]).await?;
        let n: i64 = rows.first().map_or(0, |r| r.get(0));
        Ok(usize::try_from(n).unwrap_or(0))
    }

    async fn expired_uploads(&self, now: i64) -> Result<Vec<UploadRecord>> {
        let sql = "SELECT record FROM ferry_uploads WHERE expires < $1";
        self.query(sql, &[&now]).await?.iter().map(upload).collect()
    }

    async fn lease_take(&self, id: &UploadId, holder: &str, ttl: Duration) -> Result<Lease> {
        crate::lease::take(self, id, holder, ttl).await
    }

    async fn lease_renew(&self, lease: &Lease, ttl: Duration) -> Result<()> {
        crate::lease::renew(self, lease, ttl).await
    }

    async fn lease_release(&self, lease: &Lease) -> Result<()> {
        crate::lease::release(self, lease).await
    }

    async fn janitor_take(&self, holder: &str, ttl: Duration) -> Result<bool> {
        crate::lease::janitor_take(self, holder, ttl).await
    }

    async fn quota_get(&self, user: &Username) -> Result<Option<Ledger>> {
        crate::quota::get(self, user).await
    }

    async fn quota_init(&self, user: &Username, used: u64, reserved: u64) -> Result<Ledger> {
        crate::quota::init(self, user, used, reserved).await
    }

    async fn quota_reserve(
        &self,
        user: &Username,
        bytes: u64,
        limit: Option<u64>,
    ) -> Result<Ledger> {
        crate::quota::reserve(self, user, bytes, limit).await
    }

    async fn quota_release(&self, user: &Username, bytes: u64) -> Result<()> {
        crate::quota::release(self, user, bytes).await
    }

    async fn quota_begin_commit(&self, c: &QuotaCommit, limit: Option<u64>) -> Result<()> {
        crate::quota::begin_commit(self, c, limit).await
    }

    async fn quota_abort_commit(&self, c: &QuotaCommit) -> Result<()> {
        crate::quota::abort_commit(self, c).await
    }

    async fn quota_begin_free(&self, user: &Username) -> Result<()> {
        crate::quota::begin_free(self, user).await
    }

    async fn quota_end_change(&self, user: &Username, freed: u64) -> Result<()> {
        crate::quota::end_change(self, user, freed).await
    }

    async fn quota_resync(&self, user: &Username, used: u64, generation: u64) -> Result<Ledger> {
        crate::quota::resync(self, user, used, generation).await
    }

    async fn token(&self, hash: &str) -> Result<Option<TokenRecord>> {
        check_hash(hash)?;
        let sql = "SELECT user_name, created, expires FROM ferry_tokens WHERE hash = $1";
        self.query_opt(sql, &[&hash])
            .await?
            .as_ref()
            .map(token)
            .transpose()
    }

    async fn put_token(&self, hash: &str, t: &TokenRecord) -> Result<()> {
        check_hash(hash)?;
        let sql = "INSERT INTO ferry_tokens (hash, user_name, created, expires)
                   VALUES ($1, $2, $3, $4)
                   ON CONFLICT (hash) DO UPDATE SET user_name = EXCLUDED.user_name,
                       created = EXCLUDED.created, expires = EXCLUDED.expires";
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
            [&hash, &t.user.as_str(), &t.created, &t.expires];
        self.execute(sql, &params).await.map(drop)
    }

    async fn remove_token(&self, hash: &str) -> Result<()> {
        check_hash(hash)?;
        let sql = "DELETE FROM ferry_tokens WHERE hash = $1";
        self.execute(sql, &[&hash]).await.map(drop)
    }

    async fn tokens_of(&self, user: &Username) -> Result<Vec<(String, TokenRecord)>> {
        let sql = "SELECT hash, user_name, created, expires FROM ferry_tokens WHERE user_name = $1";
        let rows = self.query(sql, &[&user.as_str()]).await?;
        rows.iter()
            .map(|r| Ok((r.get::<_, String>("hash"), token(r)?)))
            .collect()
    }

    async fn expired_tokens(&self, now: i64) -> Result<Vec<String>> {
        let sql = "SELECT hash FROM ferry_tokens WHERE expires <= $1";
        Ok(self
            .query(sql, &[&now])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    async fn secret(&self) -> Result<[u8; 32]> {
        Ok(self.secret)
    }

    async fn share(&self, key: &str) -> Result<Option<ShareRecord>> {
        self.share_get(key).await
    }

    async fn create_share(&self, key: &str, record: &ShareRecord) -> Result<()> {
        self.share_create(key, record).await
    }

    async fn revoke_share(&self, key: &str) -> Result<()> {
        self.share_revoke(key).await
    }

    async fn count_share_download(&self, key: &str) -> Result<ShareRecord> {
        self.share_count_download(key).await
    }

    async fn shares_of(&self, owner: &Username) -> Result<Vec<(String, ShareRecord)>> {
        self.shares_by(owner).await
    }
}
