//! Quota ledgers: committed and reserved bytes per user, changed only by atomic store
//! operations ([`super::MetaStore`]'s `quota_*` methods), so that concurrent creates,
//! finishes, cancels and queries — on one server or several — can never leave used bytes
//! above the limit.
//!
//! The rules every implementation follows:
//! - `reserve(n, limit)` succeeds only if `used + reserved + n <= limit`;
//! - `begin_commit({size, replaced}, limit)` moves a reservation to used in one step, only if
//!   `used + size - replaced <= limit`, and marks a change **pending** until `end_change`;
//!   the engine renames the file into place in between, and `abort_commit` undoes it if the
//!   rename fails. `begin_free` / `end_change(freed)` bracket a delete or a replacing move.
//! - `resync(used, generation)` replaces `used` with a fresh walk of the home (files changed
//!   outside Ferry, e.g. by a command) only if no change is pending and none happened since
//!   the snapshot at `generation` was taken: a walk that raced with a commit is dropped
//!   instead of forgetting the committed file (the race that let used bytes pass the limit).

use crate::username::Username;

/// One user's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Bytes in committed files.
    pub used: u64,
    /// Bytes reserved by unfinished uploads.
    pub reserved: u64,
    /// Commits, deletes and moves between their begin and end.
    pub pending: u32,
    /// Grows with every change of `used`.
    pub generation: u64,
}

/// What a commit changes in `user`'s ledger: `size` moves from reserved to used, and the
/// `replaced` bytes of the file it overwrites leave used. The same value begins and, if the
/// rename fails, aborts the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaCommit {
    /// Whose ledger.
    pub user: Username,
    /// The upload's size (reserved until now).
    pub size: u64,
    /// Bytes of the file the commit replaces (0 when it replaces nothing).
    pub replaced: u64,
}

impl Ledger {
    /// Bytes still free under `limit`.
    pub fn available(&self, limit: u64) -> u64 {
        limit.saturating_sub(self.used.saturating_add(self.reserved))
    }
}
