//! Plain result types both doors send back: entries, listings, quota, uploads.

use serde::{Deserialize, Serialize};

use crate::md5hex::Md5Digest;
use crate::path::HomePath;
use crate::upload_id::UploadId;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A folder.
    Dir,
    /// A symbolic link (listed, followed only while it stays inside the home).
    Symlink,
    /// A FIFO, socket or device: listed, never opened.
    Other,
}

/// One file or folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entry {
    /// Last name of the path.
    pub name: String,
    /// Full path from the home.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "/docs/report.pdf"))]
    pub path: HomePath,
    /// File, folder, …
    pub kind: EntryKind,
    /// Size in bytes (0 for folders).
    pub size: u64,
    /// Last modification, Unix seconds.
    pub modified: i64,
    /// MD5 of a file, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "9e107d9d372bb6826bd81d3542a419d6"))]
    pub md5: Option<Md5Digest>,
}

/// One page of a folder listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Listing {
    /// The folder listed.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "/docs/report.pdf"))]
    pub path: HomePath,
    /// Entries sorted by name (byte order).
    pub entries: Vec<Entry>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next: Option<String>,
    /// Names in this folder that Ferry cannot address (not UTF-8, a control character, a
    /// spelling whose NFC form opens another file; made by something other than Ferry): they
    /// are in no page, and this counts them, the same on every page.
    #[serde(default)]
    pub skipped: u64,
}

/// One page of a search by name (`Session::search`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchPage {
    /// The folder searched below.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "/docs"))]
    pub under: HomePath,
    /// Matching entries, in walk order: each folder's entries by name, a folder's contents
    /// right after it.
    pub entries: Vec<Entry>,
    /// Pass as `cursor` to continue; `None` when the whole tree was searched.
    pub next: Option<String>,
    /// The page ended early because the request's budget (entries visited or time) ran out,
    /// not because it was full; `next` continues where it stopped.
    pub truncated: bool,
    /// Entries looked at for this page.
    pub visited: u64,
}

/// A user's space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuotaInfo {
    /// Bytes in committed files.
    pub used: u64,
    /// Bytes reserved by unfinished uploads.
    pub reserved: u64,
    /// The quota; `None` is unlimited.
    pub limit: Option<u64>,
}

/// An unfinished upload as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadInfo {
    /// Id to continue it with, from any connection or door.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: UploadId,
    /// Target file.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "/docs/report.pdf"))]
    pub path: HomePath,
    /// Declared final size.
    pub size: u64,
    /// Bytes held: where to resume.
    pub offset: u64,
    /// Expected MD5, if announced at create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "9e107d9d372bb6826bd81d3542a419d6"))]
    pub md5: Option<Md5Digest>,
    /// Unix seconds after which an idle upload is discarded.
    pub expires: i64,
    /// The length is not known yet: `size` is the most the upload may grow to (its quota
    /// reservation) until a request states the length.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub length_deferred: bool,
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
