//! [`PutOptions`] and [`PutOutcome`]: how [`Client::put`](super::Client::put) behaves and
//! what it did.

use ferry_core::model::Entry;

/// How [`Client::put`](super::Client::put) behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PutOptions {
    /// Replace a different file already at the target.
    pub overwrite: bool,
    /// Reconnect-and-resume attempts after a dropped connection.
    pub retries: u32,
    /// Let the server create missing parent folders of the target (as `mkdir -p`); without,
    /// a missing folder is `not_found`.
    pub parents: bool,
    /// The caller knows that nothing is at the target and no unfinished upload goes there
    /// (a batch that listed the folder and the uploads once): skip asking, which saves two
    /// round trips per file. If it turns out wrong, the put asks after all.
    pub assume_absent: bool,
}

impl Default for PutOptions {
    /// No overwrite, no retries, parents created (what the server does by default too).
    fn default() -> Self {
        PutOptions {
            overwrite: false,
            retries: 0,
            parents: true,
            assume_absent: false,
        }
    }
}

/// What [`Client::put`](super::Client::put) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutOutcome {
    /// The file on the server now.
    pub entry: Entry,
    /// MD5 of the local file, 32 lowercase hex digits.
    pub md5: String,
    /// Size of the local file.
    pub size: u64,
    /// Bytes this call had to move: `size` less what the server already held when it began.
    pub sent: u64,
    /// The target already held this exact content; nothing was sent.
    pub up_to_date: bool,
}
