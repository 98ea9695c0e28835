//! What `ferry --version` prints: the package version and the git revision built from.

/// `0.1.0 (git 1a2b3c4d5e6f)`; `-dirty` when the tree had uncommitted changes.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (git ",
    env!("FERRY_GIT_REV"),
    ")"
);
