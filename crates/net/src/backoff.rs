//! The pause after a failed `accept`.
//!
//! When the process is out of file descriptors (`EMFILE`, `ENFILE`) or the kernel out of
//! memory for sockets, `accept` fails at once and keeps failing while the connection waits in
//! the backlog; retrying straight away spins a core and floods the log. Waiting lets running
//! connections finish and free what is short. The pause doubles while the failures go on, so
//! a short squeeze is retried quickly and a long one costs about one attempt a second.

use std::io;
use std::time::Duration;

/// The first pause.
pub const FIRST: Duration = Duration::from_millis(10);
/// The longest pause.
pub const MAX: Duration = Duration::from_secs(1);

/// Successive pauses: [`FIRST`], doubling up to [`MAX`], back to [`FIRST`] after a success.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: FIRST }
    }
}

impl Backoff {
    /// The pause to take now; the one after it is longer.
    pub fn next_pause(&mut self) -> Duration {
        let pause = self.next;
        self.next = (pause * 2).min(MAX);
        pause
    }

    /// An `accept` succeeded: the next failure starts again from [`FIRST`].
    pub fn reset(&mut self) {
        self.next = FIRST;
    }
}

/// Whether an `accept` error concerns only the one connection (the peer gave up while it
/// waited in the backlog), so the next `accept` may be tried at once.
pub fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_maximum_and_start_over_after_a_success() {
        let mut b = Backoff::default();
        let pauses: Vec<_> = (0..9).map(|_| b.next_pause()).collect();
        assert_eq!(pauses[0], FIRST);
        assert_eq!(pauses[1], FIRST * 2);
        assert_eq!(pauses[2], FIRST * 4);
        assert!(pauses.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*pauses.last().unwrap(), MAX);
        b.reset();
        assert_eq!(b.next_pause(), FIRST);
    }

    #[test]
    fn a_peer_that_gave_up_is_not_a_reason_to_pause() {
        let aborted = io::Error::from(io::ErrorKind::ConnectionAborted);
        assert!(is_connection_error(&aborted));
        let emfile = io::Error::from_raw_os_error(24);
        assert!(!is_connection_error(&emfile));
    }
}
