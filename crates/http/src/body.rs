//! Request bodies as `AsyncRead`, for the core's upload writer (which takes any reader).
//!
//! A stall between two pieces of body longer than `idle` ends the read with `TimedOut`, and the
//! returned flag lets the handler report `body_timeout` instead of a generic failure. Large
//! healthy uploads are never cut: only silence is.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use tokio_util::io::StreamReader;

/// What a body reader saw, read after the core is done with it.
#[derive(Debug, Clone, Default)]
pub struct BodyProbe {
    timed_out: Arc<AtomicBool>,
    received: Arc<AtomicU64>,
}

impl BodyProbe {
    /// Whether the body stalled past the idle timeout.
    pub fn timed_out(&self) -> bool {
        self.timed_out.load(Ordering::Relaxed)
    }

    /// Bytes taken from the body so far.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

/// The body as a byte stream with the idle deadline applied to every piece.
pub fn stream(
    body: Body,
    idle: Duration,
    probe: BodyProbe,
) -> impl Stream<Item = io::Result<Bytes>> + Send + Unpin {
    let data = body.into_data_stream();
    Box::pin(futures::stream::unfold(
        (data, probe, false),
        move |(mut data, probe, done)| async move {
            if done {
                return None;
            }
            match tokio::time::timeout(idle, data.next()).await {
                Ok(Some(Ok(bytes))) => {
                    probe
                        .received
                        .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    Some((Ok(bytes), (data, probe, false)))
                }
                Ok(Some(Err(e))) => Some((Err(io::Error::other(e)), (data, probe, true))),
                Ok(None) => None,
                Err(_) => {
                    probe.timed_out.store(true, Ordering::Relaxed);
                    let e = io::Error::new(io::ErrorKind::TimedOut, "request body stalled");
                    Some((Err(e), (data, probe, true)))
                }
            }
        },
    ))
}

/// The body as an `AsyncRead`.
pub fn reader(
    body: Body,
    idle: Duration,
    probe: BodyProbe,
) -> StreamReader<impl Stream<Item = io::Result<Bytes>> + Send + Unpin, Bytes> {
    StreamReader::new(stream(body, idle, probe))
}
