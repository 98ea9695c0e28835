//! [`Request`]: every request a client may send, decoded from and encoded to a frame header.
//! (~300 lines: one enum with a documented variant per operation, so the wire vocabulary reads
//! as one list.)

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Op;
use crate::frame::{Frame, Header};

/// Every request a client may send. Unknown fields are refused so that typos fail loudly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Version handshake; must be the first frame on a connection. Answered by
    /// [`HelloReply`](super::HelloReply).
    Hello {
        /// Protocol version the client speaks.
        version: u32,
        /// Free-form client name, for logs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
    },
    /// SCRAM client-first message. Answered by [`AuthStartReply`](super::AuthStartReply).
    AuthStart {
        /// Must be [`MECHANISM`](super::MECHANISM).
        mechanism: String,
        /// RFC 5802 client-first-message (`n,,n=user,r=nonce`).
        message: String,
    },
    /// SCRAM client-final message. Answered by [`AuthFinishReply`](super::AuthFinishReply).
    AuthFinish {
        /// RFC 5802 client-final-message (`c=biws,r=…,p=…`).
        message: String,
    },
    /// Current folder of this session. Answered by [`CwdReply`](super::CwdReply).
    Pwd,
    /// Change the session's current folder. Answered by [`CwdReply`](super::CwdReply).
    Cd {
        /// Folder, absolute (from the home) or relative to the current folder.
        path: String,
    },
    /// List a folder, sorted by name, one page at a time. Answered by a
    /// [`Listing`](ferry_core::model::Listing).
    Ls {
        /// Folder to list; the current folder when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        /// Return only entries whose names sort after this one (paging cursor).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
        /// Page size; the server caps it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// Entries below a folder whose name contains `pattern`, ignoring case, one page at a
    /// time in a fixed walk order. Answered by a
    /// [`SearchPage`](ferry_core::model::SearchPage).
    Find {
        /// Part of the name to find.
        pattern: String,
        /// Folder to search below; the current folder when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        /// The previous page's `next`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cursor: Option<String>,
        /// Matches per page; the server caps it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<u32>,
    },
    /// Metadata of one entry. Answered by [`EntryReply`](super::EntryReply).
    Stat {
        /// Entry to describe.
        path: String,
        /// Compute a file's MD5 if the server does not know it yet (costs a full read once).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        digest: bool,
    },
    /// Create a folder. Answered by [`EntryReply`](super::EntryReply).
    Mkdir {
        /// Folder to create.
        path: String,
        /// Create missing parents and accept an existing folder.
        #[serde(default)]
        parents: bool,
    },
    /// Remove a file, or a folder with `recursive`. Answered by [`EmptyReply`](super::EmptyReply).
    Rm {
        /// Entry to remove.
        path: String,
        /// Required to remove a folder (and everything in it).
        #[serde(default)]
        recursive: bool,
    },
    /// Move or rename an entry. Answered by [`EntryReply`](super::EntryReply).
    Mv {
        /// Existing entry.
        from: String,
        /// New name; must not exist unless `overwrite`.
        to: String,
        /// Replace an existing file at `to`.
        #[serde(default)]
        overwrite: bool,
    },
    /// Bytes used, reserved by unfinished uploads, and the limit. Answered by a
    /// [`QuotaInfo`](ferry_core::model::QuotaInfo).
    Quota,
    /// Start an upload; reserves `size` bytes of quota. Answered by
    /// [`UploadReply`](super::UploadReply).
    UploadCreate {
        /// Target file.
        path: String,
        /// Exact final size in bytes.
        size: u64,
        /// Expected MD5 (32 hex digits); may instead be given at finish.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        md5: Option<String>,
        /// Replace an existing file at `path` when the upload completes.
        #[serde(default)]
        overwrite: bool,
        /// Create missing parent folders of `path` (as `mkdir -p`); `false` refuses them with
        /// `not_found`. Absent means `true`, and `true` is not written, so clients older and
        /// newer than the field agree.
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        parents: bool,
    },
    /// This user's unfinished uploads. Answered by [`UploadsReply`](super::UploadsReply).
    UploadList,
    /// One upload's state (its offset is where to resume). Answered by
    /// [`UploadReply`](super::UploadReply).
    UploadStatus {
        /// Upload id.
        id: String,
    },
    /// Append the payload to an upload at `offset`. Answered by
    /// [`OffsetReply`](super::OffsetReply).
    UploadWrite {
        /// Upload id.
        id: String,
        /// Where the payload starts; must equal the upload's current offset.
        offset: u64,
        /// CRC-32C of the payload.
        crc32c: u32,
    },
    /// Verify the MD5 and atomically commit the file. Answered by
    /// [`EntryReply`](super::EntryReply).
    UploadFinish {
        /// Upload id.
        id: String,
        /// Expected MD5, if not given at create (or to confirm it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        md5: Option<String>,
    },
    /// Abandon an upload and release its reservation. Answered by
    /// [`EmptyReply`](super::EmptyReply).
    UploadCancel {
        /// Upload id.
        id: String,
    },
    /// Store the payload, the whole file, at `path` and commit it in one step (at most
    /// [`MAX_PAYLOAD_LEN`](crate::frame::MAX_PAYLOAD_LEN) bytes: a small file needs no
    /// resumable upload, so nothing is left behind if it fails). Answered by
    /// [`EntryReply`](super::EntryReply).
    Put {
        /// Target file.
        path: String,
        /// Expected MD5 of the payload (32 hex digits); the file is committed only if it
        /// matches. Without it, the MD5 computed on receipt is the file's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        md5: Option<String>,
        /// CRC-32C of the payload.
        crc32c: u32,
        /// Replace an existing file at `path`.
        #[serde(default)]
        overwrite: bool,
        /// Create missing parent folders of `path` (as `upload_create`: absent means `true`).
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        parents: bool,
    },
    /// Download a file from `offset`; answered by a [`DownloadHead`](super::DownloadHead),
    /// then [`DownloadData`](super::DownloadData) frames, then a
    /// [`DownloadEnd`](super::DownloadEnd).
    Get {
        /// File to read.
        path: String,
        /// First byte to send.
        #[serde(default)]
        offset: u64,
    },
    /// Run a command under the user's exec policy, in the session's current folder; answered
    /// by [`ExecOutput`](super::ExecOutput) frames as the command writes, then one
    /// [`ExecReply`](super::ExecReply) (or `error`) frame.
    Exec {
        /// Client-chosen number echoed in every answer frame of this command.
        id: u64,
        /// Program and arguments, never joined into a shell string. Exactly one of `argv` and
        /// `command` is given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        argv: Option<Vec<String>>,
        /// A command string for `sh -c` (only under the `shell` policy).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        command: Option<String>,
        /// Wall-clock limit in seconds; the server's default when absent, capped by the
        /// user's maximum.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_secs: Option<u64>,
    },
    /// Change the logged-in user's own password; every bearer token of the account is
    /// revoked. Answered by [`EmptyReply`](super::EmptyReply).
    Passwd {
        /// The password in use now (checked under the failed-login throttle).
        current_password: String,
        /// The new password (at least 8 characters).
        new_password: String,
    },
    /// Share a file or folder as a link `/s/ID` on the HTTP door. Answered by
    /// [`ShareReply`](super::ShareReply).
    ShareCreate {
        /// The file or folder.
        path: String,
        /// How long the link works (`30m`, `12h`, `7d`, `2w`); until revoked when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires: Option<String>,
        /// A password the link asks for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<String>,
        /// Downloads allowed; unlimited when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_downloads: Option<u64>,
        /// A folder link that also takes uploads (a drop box).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        upload: bool,
    },
    /// The user's share links. Answered by [`SharesReply`](super::SharesReply).
    ShareList,
    /// Revoke one of the user's share links. Answered by [`EmptyReply`](super::EmptyReply).
    ShareRevoke {
        /// The link's id.
        id: String,
    },
    /// Polite close. Answered by [`EmptyReply`](super::EmptyReply).
    Bye,
}

impl Request {
    /// The operation this request names.
    pub fn op(&self) -> Op {
        match self {
            Request::Hello { .. } => Op::Hello,
            Request::AuthStart { .. } => Op::AuthStart,
            Request::AuthFinish { .. } => Op::AuthFinish,
            Request::Pwd => Op::Pwd,
            Request::Cd { .. } => Op::Cd,
            Request::Ls { .. } => Op::Ls,
            Request::Stat { .. } => Op::Stat,
            Request::Mkdir { .. } => Op::Mkdir,
            Request::Rm { .. } => Op::Rm,
            Request::Mv { .. } => Op::Mv,
            Request::Quota => Op::Quota,
            Request::Find { .. } => Op::Find,
            Request::UploadCreate { .. } => Op::UploadCreate,
            Request::UploadList => Op::UploadList,
            Request::UploadStatus { .. } => Op::UploadStatus,
            Request::UploadWrite { .. } => Op::UploadWrite,
            Request::UploadFinish { .. } => Op::UploadFinish,
            Request::UploadCancel { .. } => Op::UploadCancel,
            Request::Put { .. } => Op::Put,
            Request::Get { .. } => Op::Get,
            Request::Exec { .. } => Op::Exec,
            Request::Passwd { .. } => Op::Passwd,
            Request::ShareCreate { .. } => Op::ShareCreate,
            Request::ShareList => Op::ShareList,
            Request::ShareRevoke { .. } => Op::ShareRevoke,
            Request::Bye => Op::Bye,
        }
    }

    /// Decodes a request from a frame header. Errors name what is wrong, for the
    /// `unknown_op` / `bad_request` replies.
    pub fn from_header(header: &Header) -> Result<Request, RequestError> {
        match header.get("op") {
            Some(Value::String(op)) if Op::from_name(op).is_none() => {
                return Err(RequestError::UnknownOp(op.chars().take(64).collect()));
            }
            Some(Value::String(_)) => {}
            _ => return Err(RequestError::MissingOp),
        }
        let request =
            Request::deserialize(header).map_err(|e| RequestError::BadFields(e.to_string()))?;
        // serde's `deny_unknown_fields` does not reach the unit variants of an internally
        // tagged enum, so `{"op":"pwd","x":1}` would pass; those
        // operations take no field but `op`.
        if matches!(
            request,
            Request::Pwd | Request::Quota | Request::UploadList | Request::ShareList | Request::Bye
        ) && let Some(extra) = header.keys().find(|k| *k != "op")
        {
            return Err(RequestError::BadFields(format!(
                "unknown field `{}`, {} takes no fields",
                extra.chars().take(64).collect::<String>(),
                request.op().as_str()
            )));
        }
        Ok(request)
    }

    /// Encodes this request as a frame header.
    pub fn to_header(&self) -> Header {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => unreachable!("requests serialize to JSON objects"),
        }
    }

    /// This request as a frame with the given payload.
    pub fn into_frame(self, payload: bytes::Bytes) -> Frame {
        Frame::with_payload(self.to_header(), payload)
    }
}

/// Why a header is not a valid request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    /// No string `"op"` field.
    #[error("the header has no string \"op\" field")]
    MissingOp,
    /// `"op"` names no operation.
    #[error("unknown operation {0:?}")]
    UnknownOp(String),
    /// Fields missing, of the wrong type, or unknown.
    #[error("invalid fields: {0}")]
    BadFields(String),
}

impl RequestError {
    /// Stable code for the error reply.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::UnknownOp(_) => "unknown_op",
            RequestError::MissingOp | RequestError::BadFields(_) => "bad_request",
        }
    }
}

#[cfg(test)]
mod tests;

/// The default of a flag that is on unless turned off.
fn yes() -> bool {
    true
}

/// Whether a flag has its "on" default (and so need not be written).
#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` passes a reference
fn is_true(flag: &bool) -> bool {
    *flag
}
