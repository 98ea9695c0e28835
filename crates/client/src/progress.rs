//! [`Progress`]: how a transfer reports what it is doing, without knowing how it is shown.

/// Receives a transfer's progress. Positions count bytes the *server* has acknowledged (for
/// uploads) or bytes verified and written locally (for downloads), never bytes merely sent.
pub trait Progress {
    /// The transfer's total size is known and `done` bytes are already in place (resuming).
    fn start(&mut self, total: u64, done: u64) {
        let _ = (total, done);
    }

    /// `done` bytes out of the total are now in place.
    fn advance(&mut self, done: u64) {
        let _ = done;
    }

    /// Something the user should hear about: resuming, reconnecting, nothing to do.
    fn note(&mut self, message: &str) {
        let _ = message;
    }
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {}
