//! Share links: a user shares a file or a folder as an unguessable link `/s/ID` that anyone
//! holding it may open, optionally with a password, an expiry and a download limit; a shared
//! folder may also take uploads (a drop box, counted against the owner's quota).
//!
//! - `link`: the id (derived from a stored seed with the store secret), the storage key (its
//!   SHA-256) and the grant a browser keeps after giving the password;
//! - `owner`: create, list and revoke, on the owner's [`Session`](super::Session);
//! - `access`: [`Ferry::share_open`](super::Ferry::share_open), which checks the link (under
//!   the login throttle) and yields a [`ShareAccess`];
//! - `content`: what a [`ShareAccess`] reads and writes: listing, downloads, the file walk a
//!   zip is made of, drop-box uploads — never outside the shared path, never through a
//!   symlink.

mod access;
mod content;
mod link;
mod owner;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use access::{ShareAccess, ShareSecret};
pub use content::{PublicShare, SharedFile};
pub use link::parse_lifetime;

use crate::path::HomePath;

/// What a new share link offers.
#[derive(Debug, Clone, Default)]
pub struct ShareOptions {
    /// The file or folder, as the owner spells it.
    pub path: String,
    /// How long the link works; `None`: until revoked.
    pub expires_in: Option<Duration>,
    /// A password the link asks for.
    pub password: Option<String>,
    /// How many downloads it allows.
    pub max_downloads: Option<u64>,
    /// A folder share that also accepts uploads (a drop box).
    pub upload: bool,
}

/// Where a link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ShareState {
    /// Opens.
    Active,
    /// Past its expiry.
    Expired,
    /// Downloaded as often as allowed.
    Exhausted,
    /// Revoked by its owner.
    Revoked,
}

/// A share link as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareInfo {
    /// The link's id: the link is `/s/ID`.
    #[cfg_attr(feature = "openapi", schema(example = "Qm9vdGgtc2hhcmUtMTIzNA"))]
    pub id: String,
    /// The link's path on this server, `/s/ID`.
    pub url: String,
    /// The shared file or folder.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "/docs"))]
    pub path: HomePath,
    /// A folder rather than a file.
    pub folder: bool,
    /// Unix seconds of creation.
    pub created: i64,
    /// Unix seconds after which the link is refused; `null`: never.
    pub expires: Option<i64>,
    /// Whether the link asks for a password.
    pub password: bool,
    /// Downloads allowed; `null`: unlimited.
    pub max_downloads: Option<u64>,
    /// Downloads so far.
    pub downloads: u64,
    /// A drop box: uploads into the folder are accepted.
    pub upload: bool,
    /// Where it stands now.
    pub state: ShareState,
}
