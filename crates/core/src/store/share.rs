//! The durable form of a share link: what was shared, by whom, on what terms, and how often it
//! was downloaded. Stored under the SHA-256 of the link's id (as tokens are), so a listing or
//! a copy of the store gives no working link.

use serde::{Deserialize, Serialize};

use crate::auth::credentials::ScramCredentials;
use crate::path::HomePath;
use crate::username::Username;

/// A share link's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRecord {
    /// Whose file or folder it is; downloads read it and drop-box uploads count against their
    /// quota.
    pub owner: Username,
    /// The shared file or folder inside the owner's home.
    pub path: HomePath,
    /// A folder (listing, zip, optional drop box) rather than one file.
    pub folder: bool,
    /// 16 random bytes (hex) the link's id is derived from with the store secret, so the owner
    /// can be shown the link again while the store alone does not reveal it.
    pub seed: String,
    /// Unix seconds of creation.
    pub created: i64,
    /// Unix seconds after which the link is refused; `None`: never.
    #[serde(default)]
    pub expires: Option<i64>,
    /// The link's password, hashed like an account's; `None`: no password.
    #[serde(default)]
    pub password: Option<ScramCredentials>,
    /// Downloads allowed; `None`: unlimited.
    #[serde(default)]
    pub max_downloads: Option<u64>,
    /// Downloads so far (a file from its first byte, or a zip).
    #[serde(default)]
    pub downloads: u64,
    /// A folder share that also accepts uploads into the folder (a drop box).
    #[serde(default)]
    pub upload: bool,
    /// Revoked by its owner: refused with `share_revoked`, kept so the link says so.
    #[serde(default)]
    pub revoked: bool,
}
