//! The metadata seam: accounts, upload records, bearer tokens, leases and quota ledgers.
//!
//! Everything Ferry knows besides file bytes goes through [`MetaStore`]. The embedded
//! implementation is `ferry_store_local::LocalMetaStore`; a shared database can implement the
//! same trait so several nodes serve one store.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use serde::{Deserialize, Serialize};

use super::lease::Lease;
use super::quota::{Ledger, QuotaCommit};
use super::share::ShareRecord;
use crate::Result;
use crate::auth::credentials::ScramCredentials;
use crate::exec::ExecPolicy;
use crate::md5hex::Md5Digest;
use crate::path::HomePath;
use crate::upload_id::UploadId;
use crate::username::Username;

/// A user account. Holds SCRAM verifiers, never a password.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    /// Login name, also the home folder's name.
    pub name: Username,
    /// Salted SCRAM verifiers.
    pub credentials: ScramCredentials,
    /// Byte quota; `None` is unlimited.
    #[serde(default)]
    pub quota: Option<u64>,
    /// Unix seconds of creation.
    pub created: i64,
    /// What the user may run (`off` for accounts made before exec existed).
    #[serde(default)]
    pub exec: ExecPolicy,
    /// The account's own ceiling on a command's wall-clock limit, in seconds; `None` is the
    /// server's maximum.
    #[serde(default)]
    pub exec_max_timeout_secs: Option<u64>,
    /// May use the admin API (list, add, remove and change accounts). Account files written
    /// before the role existed have no field and load as `false`; `ferry serve` then gives
    /// the role to one account (see `Ferry::ensure_admin`).
    #[serde(default)]
    pub admin: bool,
}

/// The durable state of an unfinished upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRecord {
    /// Upload id.
    pub id: UploadId,
    /// Owner.
    pub user: Username,
    /// Target inside the owner's home.
    pub path: HomePath,
    /// Declared size.
    pub size: u64,
    /// MD5 announced at create.
    #[serde(default)]
    pub md5: Option<Md5Digest>,
    /// Replace an existing target at commit.
    #[serde(default)]
    pub overwrite: bool,
    /// Unix seconds of creation.
    pub created: i64,
    /// Unix seconds after which the upload may be swept.
    pub expires: i64,
    /// Serialized MD5 state after `hashed` bytes (hex), so a restart resumes hashing there.
    #[serde(default)]
    pub hash_state: Option<String>,
    /// How many bytes `hash_state` covers.
    #[serde(default)]
    pub hashed: u64,
    /// The length is not known yet (tus `Upload-Defer-Length`, an IETF upload created without
    /// `Upload-Length`): `size` is then the reservation, the most the upload may grow to,
    /// until the length is set and the reservation shrunk to it.
    #[serde(default)]
    pub deferred: bool,
    /// The whole file's SHA-256 (hex) announced at create (`Repr-Digest: sha-256`), verified at
    /// commit beside the MD5.
    #[serde(default)]
    pub sha256: Option<String>,
}

/// A bearer token, stored under the SHA-256 of its text (never the text itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Whose session the token opens.
    pub user: Username,
    /// Unix seconds of issue.
    pub created: i64,
    /// Unix seconds after which the token is refused and may be deleted.
    pub expires: i64,
}

/// Accounts, upload records, tokens, leases, quota ledgers and the server secret.
///
/// Every method is one atomic operation: implementations over a shared database make each a
/// single conditional statement, so two nodes can never both write one upload or both spend
/// the last bytes of a quota.
#[async_trait]
pub trait MetaStore: Send + Sync + fmt::Debug {
    /// The account, if it exists.
    async fn account(&self, name: &Username) -> Result<Option<Account>>;
    /// Creates an account only if no account of that name exists (`user_exists` otherwise).
    async fn create_account(&self, account: &Account) -> Result<()>;
    /// Replaces an existing account (`user_not_found` if it is gone).
    async fn update_account(&self, account: &Account) -> Result<()>;
    /// Removes an account; `user_not_found` if absent.
    async fn remove_account(&self, name: &Username) -> Result<()>;
    /// Every account, sorted by name.
    async fn accounts(&self) -> Result<Vec<Account>>;

    /// One upload record.
    async fn upload(&self, id: &UploadId) -> Result<Option<UploadRecord>>;
    /// Creates an upload record (an id is never reused).
    async fn create_upload(&self, record: &UploadRecord) -> Result<()>;
    /// Creates the record of a *transient* upload: one that lives only as long as the request
    /// carrying it (a whole-file `PUT`). Nobody resumes it, and that request discards it on any
    /// failure, so a store may keep its record in memory only (the embedded store does: one
    /// file fewer to create and delete per small upload). The other methods see it like any
    /// record while it lives. Staged bytes a crash leaves without a record are swept as
    /// orphans (see `UploadStore::staged_before`). By default it is stored like any record.
    async fn create_transient_upload(&self, record: &UploadRecord) -> Result<()> {
        self.create_upload(record).await
    }
    /// Replaces an upload record, only while `lease` is the upload's current lease (a stale
    /// fence is refused with `upload_busy` and writes nothing).
    async fn save_upload(&self, record: &UploadRecord, lease: &Lease) -> Result<()>;
    /// Removes an upload record (absent is fine).
    async fn remove_upload(&self, id: &UploadId) -> Result<()>;
    /// One user's upload records.
    async fn uploads_of(&self, user: &Username) -> Result<Vec<UploadRecord>>;
    /// How many upload records one user has (checked at every upload create, so a store
    /// should answer it without reading other users' records).
    async fn upload_count(&self, user: &Username) -> Result<usize> {
        Ok(self.uploads_of(user).await?.len())
    }
    /// Upload records whose `expires` is before `now`.
    async fn expired_uploads(&self, now: i64) -> Result<Vec<UploadRecord>>;

    /// Takes the upload's lease for `holder`: granted when free, expired, or already held by
    /// `holder`; `upload_busy` while another holder's lease runs. Every grant to a new holder
    /// raises the fence.
    async fn lease_take(&self, id: &UploadId, holder: &str, ttl: Duration) -> Result<Lease>;
    /// Extends a lease; `upload_busy` if it is no longer current.
    async fn lease_renew(&self, lease: &Lease, ttl: Duration) -> Result<()>;
    /// Gives a lease up (a stale one is ignored).
    async fn lease_release(&self, lease: &Lease) -> Result<()>;
    /// Takes or renews the janitor's lease for `holder`: `true` when `holder` is the one
    /// process that runs the expiry sweeps for the next `ttl` (free, expired or already its
    /// own), `false` while another holder's runs. A store that serves one process only (the
    /// embedded one) always answers `true`.
    async fn janitor_take(&self, _holder: &str, _ttl: Duration) -> Result<bool> {
        Ok(true)
    }

    /// The user's ledger, if one was initialised.
    async fn quota_get(&self, user: &Username) -> Result<Option<Ledger>>;
    /// Initialises the ledger with these figures if it does not exist; returns the ledger.
    async fn quota_init(&self, user: &Username, used: u64, reserved: u64) -> Result<Ledger>;
    /// Reserves `bytes` if they fit under `limit` (`quota_exceeded` otherwise).
    async fn quota_reserve(
        &self,
        user: &Username,
        bytes: u64,
        limit: Option<u64>,
    ) -> Result<Ledger>;
    /// Gives a reservation back.
    async fn quota_release(&self, user: &Username, bytes: u64) -> Result<()>;
    /// Turns a reservation of `c.size` into used bytes (less `c.replaced`), if the result fits
    /// under `limit`, and marks the change pending.
    async fn quota_begin_commit(&self, c: &QuotaCommit, limit: Option<u64>) -> Result<()>;
    /// Undoes a [`quota_begin_commit`](Self::quota_begin_commit) whose rename failed.
    async fn quota_abort_commit(&self, c: &QuotaCommit) -> Result<()>;
    /// Marks a delete or replacing move pending.
    async fn quota_begin_free(&self, user: &Username) -> Result<()>;
    /// Ends a pending change, subtracting `freed` bytes from used.
    async fn quota_end_change(&self, user: &Username, freed: u64) -> Result<()>;
    /// Replaces `used` with a fresh count, only if the ledger is still at `generation` with
    /// nothing pending; returns the ledger as it is afterwards.
    async fn quota_resync(&self, user: &Username, used: u64, generation: u64) -> Result<Ledger>;

    /// The token stored under `hash` (64 lowercase hex digits of SHA-256), if any.
    async fn token(&self, hash: &str) -> Result<Option<TokenRecord>>;
    /// The token stored under `hash` with its user's account (`None` if the account is gone):
    /// what every request with a token needs. A store that can answer both at once (the
    /// embedded one checks its cache once) overrides this.
    async fn token_with_account(
        &self,
        hash: &str,
    ) -> Result<Option<(TokenRecord, Option<Account>)>> {
        let Some(token) = self.token(hash).await? else {
            return Ok(None);
        };
        let account = self.account(&token.user).await?;
        Ok(Some((token, account)))
    }
    /// Creates or replaces a token.
    async fn put_token(&self, hash: &str, record: &TokenRecord) -> Result<()>;
    /// Removes a token (absent is fine).
    async fn remove_token(&self, hash: &str) -> Result<()>;
    /// One user's tokens with their hashes.
    async fn tokens_of(&self, user: &Username) -> Result<Vec<(String, TokenRecord)>>;
    /// Hashes of tokens whose `expires` is before `now`.
    async fn expired_tokens(&self, now: i64) -> Result<Vec<String>>;
    /// A 32-byte secret generated once per store (decoy logins, token hashing).
    async fn secret(&self) -> Result<[u8; 32]>;

    /// The share link stored under `key` (64 lowercase hex digits of SHA-256), if any.
    async fn share(&self, key: &str) -> Result<Option<ShareRecord>>;
    /// Stores a new share link (a key is never reused).
    async fn create_share(&self, key: &str, record: &ShareRecord) -> Result<()>;
    /// Marks a share link revoked (`share_not_found` if absent).
    async fn revoke_share(&self, key: &str) -> Result<()>;
    /// Counts one download if the link allows one more, in one atomic step: returns the
    /// record as counted, or `share_exhausted` (nothing counted) when `max_downloads` is
    /// reached, `share_revoked`, `share_not_found`.
    async fn count_share_download(&self, key: &str) -> Result<ShareRecord>;
    /// One owner's share links with their keys.
    async fn shares_of(&self, owner: &Username) -> Result<Vec<(String, ShareRecord)>>;
}
