//! Ferry's core: everything both doors share.
//!
//! - [`service`]: [`Ferry`], the one service API, and the [`Session`] a login yields. Doors call
//!   only this.
//! - [`protocol`]: the framed wire format (a pure codec over bytes) and its typed messages.
//! - [`auth`]: SCRAM-SHA-256 login, password-derived verifiers, failed-login throttling.
//! - [`store`]: the two storage seams (metadata, file bytes) and their embedded implementations —
//!   the only code that knows the data folder's layout.
//! - [`username`], [`path`], [`upload_id`], [`md5hex`]: validated types made at the edge.
//! - [`chunk_digest`]: the checksum a client may send with one write (CRC-32C, MD5, SHA-256).
//! - [`exec`]: remote commands under a per-user [`ExecPolicy`], run by a sandboxing launcher.
//! - [`model`]: plain result types (entries, listings, quota, uploads).
//! - [`error`]: [`Error`], one enum of domain causes, each with a stable code.

pub mod auth;
pub mod chunk_digest;
pub mod error;
pub mod exec;
pub mod md5hex;
pub mod model;
pub mod path;
pub mod protocol;
pub mod service;
pub mod store;
pub mod upload_id;
pub mod username;

pub use chunk_digest::ChunkDigest;
pub use error::{Error, Result};
pub use exec::{
    ExecCommand, ExecConfig, ExecEvent, ExecExit, ExecPolicy, ExecRequest, ExecRun, ExecStream,
};
pub use path::HomePath;
pub use service::{Config, Download, Ferry, LoginPending, Profile, Session, TokenGrant};
pub use upload_id::UploadId;
pub use username::Username;
