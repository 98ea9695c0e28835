//! Ferry's embedded stores: the data folder, no services needed.
//!
//! - [`meta`]: [`LocalMetaStore`], accounts, upload records and tokens as small JSON files
//!   under `DATA/state`.
//! - [`blob`]: [`LocalBlobStore`], the homes under `DATA/homes` (confined by cap-std) and the
//!   staging files of unfinished uploads.
//!
//! These are the only code that knows the data folder's layout; [`open`] builds the service
//! over both.

pub mod blob;
pub mod meta;

use std::sync::Arc;

pub use blob::LocalBlobStore;
pub use meta::LocalMetaStore;

use ferry_core::{Config, Ferry, Result};

/// Opens the embedded stores under `config.data_dir` and the service over them.
pub fn open(config: Config) -> Result<Ferry> {
    let meta = Arc::new(LocalMetaStore::open(&config.data_dir.join("state"))?);
    let blobs = Arc::new(LocalBlobStore::open(&config.data_dir)?);
    Ferry::with_stores(config, meta, blobs)
}
