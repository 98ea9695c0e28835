//! The pipeline's depth, in a leaf module: the pipeline and the hashing stage that feeds it
//! both size themselves by it.

/// Writes sent but not yet acknowledged, at most (and chunks queued for hashing).
pub(crate) const WINDOW: usize = 8;
