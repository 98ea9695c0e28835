//! The storage seams, all async, each shaped so that a shared service can implement it and
//! several nodes can serve one store:
//!
//! - [`meta::MetaStore`]: accounts, upload records, tokens, share links ([`share`]), and the rules that must hold across
//!   requests and nodes as **atomic operations** — upload leases with a fencing counter
//!   ([`lease`]) and quota reservations ([`quota`]).
//! - [`files::FileStore`]: the homes: stat, list, folder operations, reading committed files.
//! - [`uploads::UploadStore`]: the bytes of unfinished uploads: append from the engine,
//!   current length, read a range back, commit to a path, discard.
//! - [`conformance`]: the behaviour every implementation must show, as test functions any
//!   implementation's test suite runs against itself.
//!
//! The embedded implementations live in `ferry-store-local` (they use blocking tasks inside).

#[cfg(feature = "conformance")]
pub mod conformance;
pub mod files;
pub mod lease;
pub mod meta;
pub mod quota;
pub mod share;
pub mod uploads;

pub use files::{FileRead, FileStore, ListPage, Listed, Move, OpenedFile};
pub use lease::Lease;
pub use meta::{Account, MetaStore, TokenRecord, UploadRecord};
pub use quota::{Ledger, QuotaCommit};
pub use share::ShareRecord;
pub use uploads::{HashCheckpoint, StagingHandle, UploadStore};
