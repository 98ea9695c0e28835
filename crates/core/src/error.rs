//! The one error type of Ferry's core, with a stable snake_case [`Error::code`] per cause.
//!
//! Codes are part of the public contract of both doors: clients branch on them, so a code is
//! never renamed or reused. Messages are for people and never contain server paths or I/O
//! details; those go to the log through [`Error::Internal`]'s source. (~310 lines: every
//! cause and its code in one enum, so the whole contract is read in one place.)

use std::time::Duration;

/// Every way a core operation can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request was well framed but its content is invalid.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The client speaks a protocol version this server does not.
    #[error("protocol version {0} is not supported")]
    UnsupportedVersion(u32),
    /// The operation needs a logged-in session.
    #[error("log in first")]
    NotAuthenticated,
    /// Unknown user or wrong password; deliberately indistinguishable.
    #[error("authentication failed")]
    AuthFailed,
    /// Too many failed logins from this source or for this account.
    #[error("too many failed logins; retry in {} s", .retry_after.as_secs().max(1))]
    AuthThrottled {
        /// How long the client should wait.
        retry_after: Duration,
    },
    /// A bearer token that is malformed, unknown, expired or revoked, or whose user is gone.
    #[error("the token is unknown, expired or revoked; log in again")]
    TokenInvalid,
    /// The operation needs the `admin` role, which this account does not have.
    #[error("this needs the admin role")]
    NotAdmin,
    /// The current password given to change it is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// No share link has that id.
    #[error("no such share link")]
    ShareNotFound,
    /// The share link was revoked by its owner.
    #[error("this share link was revoked")]
    ShareRevoked,
    /// The share link's expiry has passed.
    #[error("this share link has expired")]
    ShareExpired,
    /// The share link has been downloaded as often as its owner allowed.
    #[error("this share link has reached its download limit")]
    ShareExhausted,
    /// The share link has a password and none was given.
    #[error("this share link needs a password")]
    SharePasswordRequired,
    /// The share link's password was wrong.
    #[error("wrong password for this share link")]
    SharePasswordWrong,
    /// The share does not take this (uploads into a share that is no drop box, a folder
    /// operation on a file share).
    #[error("this share link does not allow that: {0}")]
    ShareRefused(String),
    /// A user name outside `[a-z0-9_-]{1,32}`.
    #[error("invalid user name: {0}")]
    InvalidUsername(String),
    /// The account exists already (admin).
    #[error("user {0} already exists")]
    UserExists(String),
    /// The account does not exist (admin; logins say `auth_failed`).
    #[error("user {0} does not exist")]
    UserNotFound(String),
    /// A path that no file name can have (NUL, control characters, backslash, too long).
    #[error("invalid path: {0}")]
    InvalidPath(String),
    /// A search pattern that is empty, too long, or not a name fragment.
    #[error("invalid search pattern: {0}")]
    InvalidSearchPattern(String),
    /// A search cursor that is no entry below the folder searched (not a page's `next`).
    #[error("invalid search cursor: {0}")]
    InvalidSearchCursor(String),
    /// A path that would leave the home folder, by `..`, absolute spelling or a symlink.
    #[error("path leads outside the home folder")]
    PathOutsideHome,
    /// Nothing at that path.
    #[error("no such file or folder: {0}")]
    NotFound(String),
    /// Something is already at that path.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// A folder was needed.
    #[error("not a folder: {0}")]
    NotADirectory(String),
    /// A file was needed but this is a folder.
    #[error("is a folder: {0}")]
    IsADirectory(String),
    /// A FIFO, socket, device or other non-regular file; never opened.
    #[error("not a regular file: {0}")]
    SpecialFile(String),
    /// Removing a non-empty folder without the recursive flag.
    #[error("folder is not empty (use recursive): {0}")]
    DirectoryNotEmpty(String),
    /// The home folder itself cannot be removed or moved.
    #[error("the home folder itself cannot be changed")]
    HomeImmutable,
    /// The upload id names no upload of this user.
    #[error("no such upload: {0}")]
    UploadNotFound(String),
    /// Another connection is writing this upload.
    #[error("upload {0} is being written by another connection")]
    UploadBusy(String),
    /// A newer request for this upload ended this one (newer request wins); the bytes it
    /// received were kept.
    #[error("upload {0} was taken over by a newer request; the bytes received were kept")]
    UploadSuperseded(String),
    /// The upload was completed and committed; nothing can be added to it.
    #[error("upload {0} is complete and committed")]
    UploadCompleted(String),
    /// A request states a length other than the upload's (or below the bytes it holds).
    #[error("the upload's length is {size} bytes, the request says {got}")]
    LengthMismatch {
        /// The length known (or the bytes held, when that is more).
        size: u64,
        /// The length the request stated.
        got: u64,
    },
    /// A chunk did not start at the upload's current offset.
    #[error("wrong offset {got}: the upload holds {expected} bytes")]
    OffsetMismatch {
        /// Bytes the server holds; resume from here.
        expected: u64,
        /// Offset the client sent.
        got: u64,
    },
    /// A chunk would extend the upload past its declared size.
    #[error("the data would exceed the declared size of {size} bytes")]
    SizeExceeded {
        /// Declared size.
        size: u64,
    },
    /// Finish was asked before every byte arrived.
    #[error("upload incomplete: {offset} of {size} bytes received")]
    UploadIncomplete {
        /// Bytes held.
        offset: u64,
        /// Declared size.
        size: u64,
    },
    /// A chunk's digest (CRC-32C, MD5 or SHA-256) did not match its payload; nothing of it was
    /// kept.
    #[error("chunk checksum mismatch; the chunk was discarded")]
    ChunkChecksumMismatch,
    /// The whole file's MD5 (or a SHA-256 announced for it, its values then spelled
    /// `sha-256 HEX`) differs from the expected one; nothing was committed.
    #[error(
        "{} mismatch: expected {expected}, received data hashes to {actual}; upload discarded",
        digest_name(expected)
    )]
    ChecksumMismatch {
        /// MD5 the client announced.
        expected: String,
        /// MD5 of the bytes received.
        actual: String,
    },
    /// No MD5 was given at create or finish.
    #[error("an MD5 is required to finish an upload")]
    Md5Required,
    /// The byte quota would be exceeded.
    #[error("quota exceeded: {needed} more bytes needed, {available} available")]
    QuotaExceeded {
        /// Bytes the operation needs.
        needed: u64,
        /// Bytes left under the quota.
        available: u64,
    },
    /// The declared size of an upload is above the server's maximum; nothing was reserved.
    #[error("an upload of {size} bytes is larger than this server's maximum of {max} bytes")]
    UploadTooLarge {
        /// The declared size.
        size: u64,
        /// The server's maximum.
        max: u64,
    },
    /// The server's disk is full; nothing partial was committed.
    #[error("the server's disk is full")]
    DiskFull,
    /// The user's exec policy refuses this command (or exec is unavailable); nothing was run.
    #[error("command refused: {0}")]
    ExecDenied(String),
    /// An allowed program got an option its allow-list entry does not list; nothing was run.
    #[error("argument refused: {0}")]
    ExecArgumentRefused(String),
    /// The program is not on the server's fixed command path.
    #[error("no such program: {0}")]
    ExecNotFound(String),
    /// A server limit was reached (connections, uploads, commands).
    #[error("limit reached: {0}")]
    LimitReached(String),
    /// A store the server depends on (its metadata database, its object store) cannot be
    /// reached right now; nothing was changed, and the same request may succeed in a moment.
    #[error("{0} is unavailable; retry shortly")]
    StoreUnavailable(String),
    /// Anything the client cannot act on; the cause goes to the log only.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Result alias for core operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<ferry_exec::ExecError> for Error {
    fn from(e: ferry_exec::ExecError) -> Self {
        match e {
            ferry_exec::ExecError::Denied(m) => Error::ExecDenied(m),
            ferry_exec::ExecError::ArgumentRefused(m) => Error::ExecArgumentRefused(m),
            ferry_exec::ExecError::NotFound(m) => Error::ExecNotFound(m),
            ferry_exec::ExecError::BadRequest(m) => Error::BadRequest(m),
            ferry_exec::ExecError::Internal(source) => Error::Internal(source),
        }
    }
}

impl Error {
    /// The stable snake_case code both doors send.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadRequest(_) => "bad_request",
            Error::UnsupportedVersion(_) => "unsupported_version",
            Error::NotAuthenticated => "not_authenticated",
            Error::AuthFailed => "auth_failed",
            Error::AuthThrottled { .. } => "auth_throttled",
            Error::TokenInvalid => "token_invalid",
            Error::NotAdmin => "not_admin",
            Error::WrongPassword => "wrong_password",
            Error::ShareNotFound => "share_not_found",
            Error::ShareRevoked => "share_revoked",
            Error::ShareExpired => "share_expired",
            Error::ShareExhausted => "share_exhausted",
            Error::SharePasswordRequired => "share_password_required",
            Error::SharePasswordWrong => "share_password_wrong",
            Error::ShareRefused(_) => "share_refused",
            Error::InvalidUsername(_) => "invalid_username",
            Error::UserExists(_) => "user_exists",
            Error::UserNotFound(_) => "user_not_found",
            Error::InvalidPath(_) => "invalid_path",
            Error::InvalidSearchPattern(_) => "invalid_search_pattern",
            Error::InvalidSearchCursor(_) => "invalid_search_cursor",
            Error::PathOutsideHome => "path_outside_home",
            Error::NotFound(_) => "not_found",
            Error::AlreadyExists(_) => "already_exists",
            Error::NotADirectory(_) => "not_a_directory",
            Error::IsADirectory(_) => "is_a_directory",
            Error::SpecialFile(_) => "special_file",
            Error::DirectoryNotEmpty(_) => "directory_not_empty",
            Error::HomeImmutable => "home_immutable",
            Error::UploadNotFound(_) => "upload_not_found",
            Error::UploadBusy(_) => "upload_busy",
            Error::UploadSuperseded(_) => "upload_superseded",
            Error::UploadCompleted(_) => "upload_completed",
            Error::LengthMismatch { .. } => "size_mismatch",
            Error::OffsetMismatch { .. } => "offset_mismatch",
            Error::SizeExceeded { .. } => "size_exceeded",
            Error::UploadIncomplete { .. } => "upload_incomplete",
            Error::ChunkChecksumMismatch => "chunk_checksum_mismatch",
            Error::ChecksumMismatch { .. } => "checksum_mismatch",
            Error::Md5Required => "md5_required",
            Error::QuotaExceeded { .. } => "quota_exceeded",
            Error::UploadTooLarge { .. } => "upload_too_large",
            Error::DiskFull => "disk_full",
            Error::ExecDenied(_) => "exec_denied",
            Error::ExecArgumentRefused(_) => "exec_argument_refused",
            Error::ExecNotFound(_) => "exec_not_found",
            Error::LimitReached(_) => "limit_reached",
            Error::StoreUnavailable(_) => "store_unavailable",
            Error::Internal(_) => "internal",
        }
    }

    /// Machine-readable details beside code and message (e.g. the server's offset).
    pub fn details(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        use serde_json::json;
        let v = match self {
            Error::OffsetMismatch { expected, .. } => json!({ "offset": expected }),
            Error::UploadIncomplete { offset, size } => json!({ "offset": offset, "size": size }),
            Error::LengthMismatch { size, got } => json!({ "size": size, "got": got }),
            Error::AuthThrottled { retry_after } => {
                json!({ "retry_after": retry_after.as_secs().max(1) })
            }
            Error::QuotaExceeded { needed, available } => {
                json!({ "needed": needed, "available": available })
            }
            Error::UploadTooLarge { max, .. } => json!({ "max": max }),
            Error::StoreUnavailable(_) => json!({ "retry_after": 1 }),
            _ => return None,
        };
        v.as_object().cloned()
    }

    /// Wraps an unexpected failure; its detail is logged, not shown.
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Internal(e.into())
    }

    /// Maps an I/O error on `what` (a path as the user spelled it) to a domain error.
    pub fn from_io(e: std::io::Error, what: &str) -> Self {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::NotFound => Error::NotFound(what.to_string()),
            K::AlreadyExists => Error::AlreadyExists(what.to_string()),
            K::NotADirectory => Error::NotADirectory(what.to_string()),
            K::IsADirectory => Error::IsADirectory(what.to_string()),
            K::DirectoryNotEmpty => Error::DirectoryNotEmpty(what.to_string()),
            K::StorageFull | K::QuotaExceeded => Error::DiskFull,
            // ENAMETOOLONG: a name or path the client chose is too long for the filesystem.
            K::InvalidFilename => Error::InvalidPath("too long for the filesystem".into()),
            K::PermissionDenied if is_escape(&e) => Error::PathOutsideHome,
            _ if e.raw_os_error() == Some(rustix::io::Errno::XDEV.raw_os_error()) => {
                Error::PathOutsideHome
            }
            _ if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
                Error::PathOutsideHome
            }
            _ => Error::internal(e),
        }
    }
}

/// cap-std reports an escape attempt as `PermissionDenied` with an "outside of the filesystem"
/// message; a plain EACCES from the OS has an errno instead.
fn is_escape(e: &std::io::Error) -> bool {
    e.raw_os_error().is_none()
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::from_io(e, "")
    }
}

/// The algorithm a [`Error::ChecksumMismatch`] is about, for its message.
fn digest_name(expected: &str) -> &'static str {
    match expected.starts_with("sha-256 ") {
        true => "SHA-256",
        false => "MD5",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_too_long_for_the_filesystem_is_invalid_path_not_internal() {
        let e = std::io::Error::from_raw_os_error(rustix::io::Errno::NAMETOOLONG.raw_os_error());
        assert_eq!(Error::from_io(e, "/x").code(), "invalid_path");
    }

    #[test]
    fn a_checksum_mismatch_names_the_algorithm_it_is_about() {
        let mismatch = |expected: &str, actual: &str| Error::ChecksumMismatch {
            expected: expected.into(),
            actual: actual.into(),
        };
        let sha = mismatch("sha-256 aa", "sha-256 bb").to_string();
        assert!(
            sha.starts_with("SHA-256 mismatch: expected sha-256 aa"),
            "{sha}"
        );
        let md5 = mismatch("5d41", "0000").to_string();
        assert!(md5.starts_with("MD5 mismatch: expected 5d41"), "{md5}");
    }
}
