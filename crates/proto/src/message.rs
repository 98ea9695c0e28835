//! Typed messages carried in frame headers.
//!
//! A request header is a JSON object whose `"op"` names the operation; the other fields are its
//! arguments. A response header carries `"status"`: `"ok"` (with the operation's result fields),
//! `"error"` (with a stable `"code"` and a human `"message"`), or, while a download streams,
//! `"data"` (one chunk in the payload) and `"end"`; while a command runs, `"exec_output"`. See
//! `docs/PROTOCOL.md` for every message.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::frame::{Frame, Header};

/// The protocol version this build speaks. A `hello` with any other version is refused with
/// `unsupported_version`.
pub const PROTOCOL_VERSION: u32 = 1;

/// The one SASL mechanism (defined with the login code in the core).
pub use ferry_core::auth::MECHANISM;

/// Every request a client may send. Unknown fields are refused so that typos fail loudly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Version handshake; must be the first frame on a connection.
    Hello {
        /// Protocol version the client speaks.
        version: u32,
        /// Free-form client name, for logs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
    },
    /// SCRAM client-first message.
    AuthStart {
        /// Must be [`MECHANISM`].
        mechanism: String,
        /// RFC 5802 client-first-message (`n,,n=user,r=nonce`).
        message: String,
    },
    /// SCRAM client-final message.
    AuthFinish {
        /// RFC 5802 client-final-message (`c=biws,r=…,p=…`).
        message: String,
    },
    /// Current folder of this session.
    Pwd,
    /// Change the session's current folder.
    Cd {
        /// Folder, absolute (from the home) or relative to the current folder.
        path: String,
    },
    /// List a folder, sorted by name, one page at a time.
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
    /// Metadata of one entry.
    Stat {
        /// Entry to describe.
        path: String,
        /// Compute a file's MD5 if the server does not know it yet (costs a full read once).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        digest: bool,
    },
    /// Create a folder.
    Mkdir {
        /// Folder to create.
        path: String,
        /// Create missing parents and accept an existing folder.
        #[serde(default)]
        parents: bool,
    },
    /// Remove a file, or a folder with `recursive`.
    Rm {
        /// Entry to remove.
        path: String,
        /// Required to remove a folder (and everything in it).
        #[serde(default)]
        recursive: bool,
    },
    /// Move or rename an entry.
    Mv {
        /// Existing entry.
        from: String,
        /// New name; must not exist unless `overwrite`.
        to: String,
        /// Replace an existing file at `to`.
        #[serde(default)]
        overwrite: bool,
    },
    /// Bytes used, reserved by unfinished uploads, and the limit.
    Quota,
    /// Start an upload; reserves `size` bytes of quota.
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
    },
    /// This user's unfinished uploads.
    UploadList,
    /// One upload's state (its offset is where to resume).
    UploadStatus {
        /// Upload id.
        id: String,
    },
    /// Append the payload to an upload at `offset`.
    UploadWrite {
        /// Upload id.
        id: String,
        /// Where the payload starts; must equal the upload's current offset.
        offset: u64,
        /// CRC-32C of the payload.
        crc32c: u32,
    },
    /// Verify the MD5 and atomically commit the file.
    UploadFinish {
        /// Upload id.
        id: String,
        /// Expected MD5, if not given at create (or to confirm it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        md5: Option<String>,
    },
    /// Abandon an upload and release its reservation.
    UploadCancel {
        /// Upload id.
        id: String,
    },
    /// Download a file from `offset`; answered by `ok`, then `data` frames, then `end`.
    Get {
        /// File to read.
        path: String,
        /// First byte to send.
        #[serde(default)]
        offset: u64,
    },
    /// Run a command under the user's exec policy, in the session's current folder; answered
    /// by `exec_output` frames as the command writes, then one `ok` (or `error`) frame.
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
    /// Polite close.
    Bye,
}

impl Request {
    /// The operation name, as in `"op"`.
    pub fn op(&self) -> &'static str {
        match self {
            Request::Hello { .. } => "hello",
            Request::AuthStart { .. } => "auth_start",
            Request::AuthFinish { .. } => "auth_finish",
            Request::Pwd => "pwd",
            Request::Cd { .. } => "cd",
            Request::Ls { .. } => "ls",
            Request::Stat { .. } => "stat",
            Request::Mkdir { .. } => "mkdir",
            Request::Rm { .. } => "rm",
            Request::Mv { .. } => "mv",
            Request::Quota => "quota",
            Request::UploadCreate { .. } => "upload_create",
            Request::UploadList => "upload_list",
            Request::UploadStatus { .. } => "upload_status",
            Request::UploadWrite { .. } => "upload_write",
            Request::UploadFinish { .. } => "upload_finish",
            Request::UploadCancel { .. } => "upload_cancel",
            Request::Get { .. } => "get",
            Request::Exec { .. } => "exec",
            Request::Bye => "bye",
        }
    }

    /// Decodes a request from a frame header. Errors name what is wrong, for the
    /// `unknown_op` / `bad_request` replies.
    pub fn from_header(header: &Header) -> Result<Request, RequestError> {
        match header.get("op") {
            None => return Err(RequestError::MissingOp),
            Some(Value::String(op)) if !KNOWN_OPS.contains(&op.as_str()) => {
                return Err(RequestError::UnknownOp(op.chars().take(64).collect()));
            }
            Some(Value::String(_)) => {}
            Some(_) => return Err(RequestError::MissingOp),
        }
        serde_json::from_value(Value::Object(header.clone()))
            .map_err(|e| RequestError::BadFields(e.to_string()))
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

const KNOWN_OPS: &[&str] = &[
    "hello",
    "auth_start",
    "auth_finish",
    "pwd",
    "cd",
    "ls",
    "stat",
    "mkdir",
    "rm",
    "mv",
    "quota",
    "upload_create",
    "upload_list",
    "upload_status",
    "upload_write",
    "upload_finish",
    "upload_cancel",
    "get",
    "exec",
    "bye",
];

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

/// Builds an `ok` response header from any serializable result (a struct or map).
pub fn ok_header<T: Serialize>(body: &T) -> Header {
    let mut map = match serde_json::to_value(body) {
        Ok(Value::Object(map)) => map,
        Ok(Value::Null) => Map::new(),
        Ok(other) => {
            let mut m = Map::new();
            m.insert("value".into(), other);
            m
        }
        Err(e) => unreachable!("result types serialize: {e}"),
    };
    map.insert("status".into(), Value::String("ok".into()));
    map
}

/// Builds an `error` response header. `extra` adds machine-readable details (for
/// `offset_mismatch`, the server's `offset`).
pub fn error_header(code: &str, message: &str, extra: Option<Map<String, Value>>) -> Header {
    let mut map = extra.unwrap_or_default();
    map.insert("status".into(), Value::String("error".into()));
    map.insert("code".into(), Value::String(code.into()));
    map.insert("message".into(), Value::String(message.into()));
    map
}

/// A response header as a client sees it: the status plus everything else.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// `ok`, `error`, `data` or `end`.
    pub status: Status,
    /// The remaining fields.
    pub fields: Header,
}

impl Response {
    /// Splits a decoded header into status and fields.
    pub fn from_header(mut header: Header) -> Result<Response, RequestError> {
        let status = header
            .remove("status")
            .and_then(|v| serde_json::from_value::<Status>(v).ok())
            .ok_or_else(|| RequestError::BadFields("missing or unknown \"status\"".into()))?;
        Ok(Response {
            status,
            fields: header,
        })
    }

    /// Deserializes the fields into a result type.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, RequestError> {
        serde_json::from_value(Value::Object(self.fields.clone()))
            .map_err(|e| RequestError::BadFields(e.to_string()))
    }

    /// `code` and `message` of an error response.
    pub fn error(&self) -> Option<(&str, &str)> {
        if self.status != Status::Error {
            return None;
        }
        let code = self.fields.get("code")?.as_str()?;
        let message = self
            .fields
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("");
        Some((code, message))
    }
}
