//! Ferry's embedded stores: the data folder, no services needed.
//!
//! - [`meta`]: [`LocalMetaStore`], accounts, upload records and tokens as small JSON files
//!   under `DATA/state` (`records`); quota ledgers and upload leases in this process's memory
//!   (`volatile`); accounts and tokens cached in memory, invalidated by in-process writes and
//!   by an inotify watch for other processes' (`cache`).
//! - [`disk`]: the homes under `DATA/homes` (confined by cap-std) and the staging files of
//!   unfinished uploads, as blocking operations;
//!   [`files`] and [`staging`] put them behind the async `FileStore` and `UploadStore` seams
//!   as [`LocalBlobStore`]; `names` finds names made outside Ferry in another Unicode form.
//!
//! These are the only code that knows the data folder's layout; [`open`] builds the service
//! over them.

mod cache;
mod cached;
mod digests;
mod dir_sync;
pub mod disk;
mod entry_stat;
pub mod files;
mod home_dirs;
mod listings;
pub mod meta;
mod names;
mod records;
mod shares;
pub mod staging;
mod unnamed;
mod upload_index;
mod version;
mod volatile;
mod watch;

use std::sync::Arc;

pub use files::LocalBlobStore;
pub use meta::LocalMetaStore;

use ferry_core::{Config, Ferry, Result};

/// Opens the embedded stores under `config.data_dir` and the service over them.
pub async fn open(config: Config) -> Result<Ferry> {
    let meta = Arc::new(LocalMetaStore::open(&config.data_dir.join("state"))?);
    let blobs = Arc::new(LocalBlobStore::open(&config.data_dir)?);
    Ferry::with_stores(config, meta, blobs.clone(), blobs).await
}
