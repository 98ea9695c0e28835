//! The metadata seam: accounts, upload records and bearer tokens.
//!
//! Everything Ferry knows besides file bytes goes through [`MetaStore`]. The embedded
//! implementation is [`super::local_meta::LocalMetaStore`]; a shared database can implement the
//! same trait so several nodes serve one store. Methods are blocking and small; the service calls
//! them from blocking tasks.

use std::fmt;

use serde::{Deserialize, Serialize};

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

/// Accounts, upload records, tokens and the server secret.
pub trait MetaStore: Send + Sync + fmt::Debug {
    /// The account, if it exists.
    fn account(&self, name: &Username) -> Result<Option<Account>>;
    /// Creates (`create == true`, failing with `user_exists`) or replaces an account.
    fn put_account(&self, account: &Account, create: bool) -> Result<()>;
    /// Removes an account; `user_not_found` if absent.
    fn remove_account(&self, name: &Username) -> Result<()>;
    /// Every account, sorted by name.
    fn accounts(&self) -> Result<Vec<Account>>;
    /// One upload record.
    fn upload(&self, id: &UploadId) -> Result<Option<UploadRecord>>;
    /// Creates or replaces an upload record atomically.
    fn put_upload(&self, record: &UploadRecord) -> Result<()>;
    /// Removes an upload record (absent is fine).
    fn remove_upload(&self, id: &UploadId) -> Result<()>;
    /// Every upload record.
    fn uploads(&self) -> Result<Vec<UploadRecord>>;
    /// The token stored under `hash` (64 lowercase hex digits of SHA-256), if any.
    fn token(&self, hash: &str) -> Result<Option<TokenRecord>>;
    /// Creates or replaces a token atomically.
    fn put_token(&self, hash: &str, record: &TokenRecord) -> Result<()>;
    /// Removes a token (absent is fine).
    fn remove_token(&self, hash: &str) -> Result<()>;
    /// Every token with its hash.
    fn tokens(&self) -> Result<Vec<(String, TokenRecord)>>;
    /// A 32-byte secret generated once per data folder (decoy logins, token hashing).
    fn secret(&self) -> Result<[u8; 32]>;
}
