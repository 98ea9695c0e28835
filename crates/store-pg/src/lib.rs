//! Ferry's PostgreSQL metadata store: [`PgMetaStore`] implements the core's
//! [`MetaStore`](ferry_core::store::MetaStore) over one database that several Ferry nodes
//! share, so accounts, tokens, upload records, upload leases and quota ledgers are the same
//! on every node.
//!
//! Every change is one conditional statement (or one transaction), decided by the database:
//! a lease grant raises the upload's fencing counter in the same `UPDATE` that checks the lease
//! is free, a record write succeeds only under the fence it names, and a reservation is an
//! `UPDATE … WHERE used + reserved + n <= limit`. Two nodes can never both write one upload or
//! both spend the last bytes of a quota. Times of leases are the database's clock, one for all
//! nodes.
//!
//! - [`store`]: [`PgMetaStore`]: the connection pool, opening (migrations, the secret) and the
//!   statement helpers;
//! - `meta`: the trait implementation: accounts, tokens, upload records;
//! - `lease`: upload leases with their fence, and the janitor's lease;
//! - `quota`: the quota ledgers;
//! - `migrate`: the schema, as numbered SQL files applied at open;
//! - [`testing`] (feature `testing`): a fresh database on a test server.

mod lease;
mod meta;
mod migrate;
mod quota;
mod shares;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use store::PgMetaStore;
