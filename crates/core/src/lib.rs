//! Ferry's core: everything both doors share.
//!
//! - [`service`]: [`Ferry`], the one service API, and the [`Session`] a login yields (with the
//!   admin role, share links and the audit trail). Doors call only this.
//! - [`auth`]: SCRAM-SHA-256 login, password-derived verifiers, failed-login throttling.
//! - [`store`]: the two async storage seams (metadata, upload and file bytes); the embedded
//!   implementations live in `ferry-store-local`.
//! - [`username`], [`path`], [`upload_id`], [`md5hex`]: validated types made at the edge.
//! - [`chunk_digest`]: the checksum a client may send with one write (CRC-32C, MD5, SHA-256).
//! - [`exec`]: `ferry-exec` re-exported: per-user [`ExecPolicy`], the sandboxing launcher.
//! - [`model`]: plain result types (entries, listings, quota, uploads).
//! - [`error`]: [`Error`], one enum of domain causes, each with a stable code.
//! - [`audit`]: the audit line every change logs, from here for both doors.

pub mod audit;
pub mod auth;
pub mod chunk_digest;
pub mod error;
pub mod fast_md5;
pub mod md5hex;
pub mod model;
pub mod path;
pub mod read_buf;
pub mod service;
pub mod store;
pub mod upload_id;
pub mod username;

/// Remote commands (their own crate; re-exported so the doors see one API).
pub use ferry_exec as exec;

pub use chunk_digest::ChunkDigest;
pub use error::{Error, Result};
pub use exec::{
    ExecCommand, ExecConfig, ExecEvent, ExecExit, ExecPolicy, ExecRequest, ExecRun, ExecStream,
};
pub use path::HomePath;
pub use service::{
    AccountChange, AccountSummary, Admin, AppendOptions, BodyChecks, Commit, Config, CreateOptions,
    Download, Ferry, LoginPending, NewAccount, NewUpload, Profile, PublicShare, Put, Session,
    ShareAccess, ShareInfo, ShareOptions, ShareSecret, ShareState, SharedFile, TokenGrant,
    UploadState, UserUsage, ZipItem, ZipPlan,
};
pub use upload_id::UploadId;
pub use username::Username;
