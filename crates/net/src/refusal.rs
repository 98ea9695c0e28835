//! What a connection turned away at accept is told before it is closed.
//!
//! The listener stays protocol-blind: each door hands it a [`Refusal`] that turns the reason
//! into the bytes of its own error (a `limit_reached` frame, a `503`). Sending them must not
//! give back what the limit took away, so:
//!
//! - the refused connection holds no connection permit and no startup slot;
//! - the write and the wait for the peer's close together get [`REFUSAL_DEADLINE`];
//! - the request is never parsed; whatever the peer already sent is read and dropped (at most
//!   [`DRAIN_MAX`] bytes), only so that closing does not answer with a reset that can destroy
//!   the refusal in the peer's receive buffer before it has read it;
//! - at most [`MAX_REFUSING`] refusals are in flight; past that a refused connection is just
//!   closed.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

// `bytes` through tokio-util, which re-exports it, so this crate adds no dependency.
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_util::bytes::Bytes;

/// Time a refused connection may take to accept the refusal and close.
pub const REFUSAL_DEADLINE: Duration = Duration::from_secs(1);

/// Bytes of an unread request drained before closing.
pub const DRAIN_MAX: usize = 64 * 1024;

/// Refusals being written at once.
pub const MAX_REFUSING: usize = 64;

/// Why the listener turned a connection away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Its source already holds `max_per_source` connections.
    PerSource,
    /// The not-logged-in pool refused it (per source, in total, or at random past the start).
    Startups,
}

impl Refused {
    /// A sentence for the peer.
    pub fn message(self) -> &'static str {
        match self {
            Refused::PerSource => "too many connections from your address",
            Refused::Startups => "too many connections waiting to log in",
        }
    }

    /// The `reason` label of `ferry_connections_refused_total`.
    pub fn label(self) -> &'static str {
        match self {
            Refused::PerSource => "per_source",
            Refused::Startups => "startups",
        }
    }
}

/// A door's answer to a connection refused at accept: the bytes to write for a reason.
#[derive(Clone)]
pub struct Refusal(Arc<dyn Fn(Refused) -> Bytes + Send + Sync>);

impl Refusal {
    /// The door's encoder of its refusal.
    pub fn new(f: impl Fn(Refused) -> Bytes + Send + Sync + 'static) -> Self {
        Refusal(Arc::new(f))
    }

    /// The bytes for `why`.
    pub fn bytes(&self, why: Refused) -> Bytes {
        (self.0)(why)
    }
}

impl fmt::Debug for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Refusal(..)")
    }
}

/// Sends refusals in the background, at most [`MAX_REFUSING`] at once.
#[derive(Debug, Clone)]
pub(crate) struct Refuser {
    in_flight: Arc<Semaphore>,
}

impl Default for Refuser {
    fn default() -> Self {
        Refuser {
            in_flight: Arc::new(Semaphore::new(MAX_REFUSING)),
        }
    }
}

impl Refuser {
    /// Tells `stream` why (when the door gave a refusal and there is room), then closes it.
    pub(crate) fn refuse(&self, stream: TcpStream, why: Refused, refusal: Option<&Refusal>) {
        let Some(refusal) = refusal else { return };
        let Ok(permit) = Arc::clone(&self.in_flight).try_acquire_owned() else {
            return;
        };
        let bytes = refusal.bytes(why);
        tokio::spawn(async move {
            let _permit = permit;
            let _ = tokio::time::timeout(REFUSAL_DEADLINE, tell(stream, bytes)).await;
        });
    }
}

async fn tell(mut stream: TcpStream, bytes: Bytes) -> std::io::Result<()> {
    stream.write_all(&bytes).await?;
    stream.shutdown().await?;
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < DRAIN_MAX {
        match stream.read(&mut sink).await? {
            0 => break,
            n => drained += n,
        }
    }
    Ok(())
}
