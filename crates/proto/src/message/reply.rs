//! Typed replies: one serde type per kind of response frame, each knowing its `"status"`.
//!
//! A server builds a header with [`Reply::to_header`]; a client reads one back with
//! [`Response::reply`](super::Response::reply), which checks the status first. The header is
//! the type's fields plus `"status"`, in a sorted map, so the bytes on the wire follow from the
//! field names alone (`docs/PROTOCOL.md` §2.4) and optional fields are omitted exactly where a
//! type says `skip_serializing_if`.

use ferry_core::md5hex::Md5Digest;
use ferry_core::model::{Entry, Listing, QuotaInfo, SearchPage, UploadInfo};
use ferry_core::{ExecExit, ExecStream, HomePath, ShareInfo, Username};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::frame::{Frame, Header};

/// The `"status"` of a response header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The request succeeded; result fields follow.
    Ok,
    /// The request failed; `code` and `message` follow.
    Error,
    /// One chunk of a download; the payload holds the bytes.
    Data,
    /// A download is complete.
    End,
    /// A piece of a running command's output (`exec` only); the payload holds the bytes.
    ExecOutput,
}

/// A response frame's fields as a type.
pub trait Reply: Serialize + DeserializeOwned {
    /// The `"status"` frames of this type carry.
    const STATUS: Status;

    /// The response header: these fields plus `"status"`.
    fn to_header(&self) -> Header {
        with_status(Self::STATUS, self)
    }

    /// This reply as a frame carrying `payload` (empty for all but data and output frames).
    fn to_frame(&self, payload: bytes::Bytes) -> Frame {
        Frame::with_payload(self.to_header(), payload)
    }
}

/// Answers `hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelloReply {
    /// The version the server will speak (the one asked for).
    pub version: u32,
    /// Server software and version, informational.
    pub server: String,
    /// Largest frame header the server accepts.
    pub max_header: usize,
    /// Largest frame payload the server accepts.
    pub max_payload: usize,
    /// Login mechanisms; version 1 has only [`MECHANISM`](super::MECHANISM).
    pub mechanisms: Vec<String>,
}

/// Answers `auth_start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthStartReply {
    /// The SCRAM server-first message.
    pub message: String,
}

/// Answers a successful `auth_finish`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthFinishReply {
    /// The SCRAM server-final message (`v=…`), which proves the server knows the password.
    pub message: String,
    /// The logged-in user.
    pub user: Username,
    /// The session's first current folder (the home).
    pub cwd: HomePath,
}

/// Answers `pwd` and `cd`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CwdReply {
    /// The session's current folder.
    pub cwd: HomePath,
}

/// Answers `stat`, `mkdir`, `mv` and `upload_finish`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryReply {
    /// The entry described, created, moved or committed.
    pub entry: Entry,
}

/// Answers `upload_create` and `upload_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadReply {
    /// The upload.
    pub upload: UploadInfo,
}

/// Answers `upload_list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadsReply {
    /// The user's unfinished uploads.
    pub uploads: Vec<UploadInfo>,
}

/// Answers `upload_write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetReply {
    /// The upload's new offset: where the next write starts.
    pub offset: u64,
}

/// Answers `share_create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareReply {
    /// The new link.
    pub share: ShareInfo,
}

/// Answers `share_list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharesReply {
    /// The user's links, newest first.
    pub shares: Vec<ShareInfo>,
}

/// Answers `rm`, `upload_cancel`, `passwd`, `share_revoke` and `bye`: `ok` and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EmptyReply {}

/// Opens the answer to `get`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadHead {
    /// Size of the whole file (not of the range asked for).
    pub size: u64,
    /// MD5 of the whole file.
    pub md5: Md5Digest,
    /// The offset asked for, echoed.
    pub offset: u64,
}

/// One chunk of a download; the frame's payload holds the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadData {
    /// File position of the chunk's first byte.
    pub offset: u64,
    /// CRC-32C of the payload.
    pub crc32c: u32,
}

/// Ends a download after its last data frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadEnd {
    /// The file's size, again.
    pub size: u64,
}

/// A piece of a running command's output; the frame's payload holds the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecOutput {
    /// The `exec` request's id.
    pub id: u64,
    /// Which stream the bytes came from.
    pub stream: ExecStream,
}

/// Ends the answer to `exec`: how the command ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecReply {
    /// The `exec` request's id.
    pub id: u64,
    /// Exit code, signal, time and output counts.
    pub exit: ExecExit,
}

/// A failed request: a stable code, a message for people and any machine-readable details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// Stable snake_case code (`not_found`, `offset_mismatch`, …).
    pub code: String,
    /// English text for people; never parsed.
    #[serde(default)]
    pub message: String,
    /// Detail fields beside code and message (`offset`, `retry_after`, an `exec`'s `id`, …).
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

macro_rules! replies {
    ($($status:ident: $($ty:ty),+;)*) => {
        $($(impl Reply for $ty {
            const STATUS: Status = Status::$status;
        })+)*
    };
}

replies! {
    Ok: HelloReply, AuthStartReply, AuthFinishReply, CwdReply, EntryReply, Listing, QuotaInfo,
        SearchPage,
        UploadReply, UploadsReply, OffsetReply, EmptyReply, DownloadHead, ExecReply, ShareReply,
        SharesReply;
    Error: ErrorReply;
    Data: DownloadData;
    End: DownloadEnd;
    ExecOutput: ExecOutput;
}

/// `fields` (a struct or map) as a header with `"status"` added.
fn with_status<T: Serialize + ?Sized>(status: Status, fields: &T) -> Header {
    let mut map = match serde_json::to_value(fields) {
        Ok(Value::Object(map)) => map,
        Ok(Value::Null) => Map::new(),
        Ok(other) => {
            let mut m = Map::new();
            m.insert("value".into(), other);
            m
        }
        Err(e) => unreachable!("reply types serialize: {e}"),
    };
    let status = serde_json::to_value(status).unwrap_or_else(|e| unreachable!("{e}"));
    map.insert("status".into(), status);
    map
}

/// Builds an `ok` response header from any serializable result (a struct or map).
pub fn ok_header<T: Serialize>(body: &T) -> Header {
    with_status(Status::Ok, body)
}

/// Builds an `error` response header. `extra` adds machine-readable details (for
/// `offset_mismatch`, the server's `offset`).
pub fn error_header(code: &str, message: &str, extra: Option<Map<String, Value>>) -> Header {
    ErrorReply {
        code: code.into(),
        message: message.into(),
        details: extra.unwrap_or_default(),
    }
    .to_header()
}
