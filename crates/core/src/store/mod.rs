//! Storage seams. [`meta::MetaStore`] holds accounts, upload records and tokens,
//! [`blob::BlobStore`] holds file bytes; the `local_*` modules are the embedded implementations
//! and the only code that knows the data folder's layout.

pub mod blob;
pub mod meta;

pub use blob::{BlobStore, OpenedFile, StagingFile};
pub use meta::{Account, MetaStore, TokenRecord, UploadRecord};
