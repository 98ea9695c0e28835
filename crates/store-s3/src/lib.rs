//! Ferry's S3 stores: the homes ([`S3FileStore`]) and unfinished uploads' bytes
//! ([`S3UploadStore`]) in an S3-compatible object store, so that several Ferry nodes can serve
//! one set of files (everything else lives in the PostgreSQL `MetaStore`).
//!
//! Both are built from an [`S3Config`] over `object_store`'s S3 client and keep their objects
//! under the config's key prefix:
//!
//! ```text
//! PREFIX/homes/USER/a/b.txt        a file (its bytes; the object's ETag is its version)
//! PREFIX/homes/USER/a/%5C          a folder's marker (written by mkdir)
//! PREFIX/digests/ETAG              a file version's MD5, 32 hex digits
//! PREFIX/uploads/ID/manifest.json  an unfinished upload's state (see `uploads`)
//! PREFIX/uploads/ID/tail-N         accepted bytes short of a part
//! PREFIX/uploads/ID/data           the multipart upload's key, assembled at commit
//! ```
//!
//! - **Folders.** A folder exists when its marker does or when any key lies below it (an
//!   implicit prefix). The marker's name is a single backslash, a name no Ferry path can
//!   contain, so it never collides with a user's file; it is not a key ending in `/` because
//!   `object_store`'s paths cannot end with the delimiter.
//! - **Names.** Keys are `object_store` paths, whose parts percent-encode some characters
//!   (`%`, `#`, `?`…); listings decode them and sort by the decoded name, so a page is in name
//!   order as the local store gives it. A page lists its whole folder first (S3 lists in key
//!   order, which for encoded names is not name order).
//! - **Moves and removals of folders** are one server-side copy per object, then one batched
//!   delete. Every copy finishes before the first delete, so a crash half-way never loses a
//!   file: a crash while copying leaves the source whole and part of the target (move again
//!   with `overwrite`, or remove the partial target); a crash while deleting leaves the whole
//!   target and part of the source (remove the rest). A removal cut short leaves part of the
//!   folder. No other node sees a folder move as one step.
//! - **Reads** are ranged GETs with `If-Match` on the ETag opened (and the answer's ETag
//!   checked too), so a download of a file replaced meanwhile fails with `not_found` instead
//!   of mixing two versions.
//! - **MD5s** are kept per version in `digests/` (a multipart upload's ETag is no MD5, and
//!   `object_store`'s copy cannot set metadata on the copy).
//! - **Replacing.** Garage ignores `If-None-Match`, so "never replace without overwrite" is a
//!   check before the write: two nodes committing to one new path at the same moment can both
//!   pass it and the later write wins. The service's per-path commit lock closes that window
//!   on one node; across nodes it stays open until commits are fenced in the `MetaStore`.
//! - **Exec** is unavailable: a home is no folder on this machine.
//!
//! Modules: `config` (connecting), `keys` (the key layout), `objects` (what a path is, in objects), `files` (homes), `tree` (removing
//! and moving), `uploads` (unfinished uploads), `staging` (one open for appending), `manifest` (an upload's state), `commit` (an
//! upload becoming a file), `testing` (with the `testing` feature: a bucket prefix on a test
//! cluster).

mod commit;
mod config;
mod files;
mod keys;
mod manifest;
mod objects;
mod read;
mod staging;
#[cfg(feature = "testing")]
pub mod testing;
mod tree;
mod uploads;

pub use config::S3Config;
pub use files::S3FileStore;
pub use uploads::{DEFAULT_PART_SIZE, S3UploadStore};
