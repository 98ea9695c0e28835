//! Request bodies as `AsyncRead`, for the core's upload writer (which takes any reader).
//!
//! A stall between two pieces of body longer than `idle` ends the read with `TimedOut`, and the
//! returned flag lets the handler report `body_timeout` instead of a generic failure. Large
//! healthy uploads are never cut: only silence is. The deadline itself is tower-http's
//! [`TimeoutBody`], which restarts its timer at every frame; this module adds the probe the
//! handler reads afterwards. A body that breaks off (the client went away, bad chunking) is
//! recorded too, so an ordinary disconnect answers `body_incomplete` instead of being logged as
//! an internal error.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use http_body_util::BodyExt;
use tokio_util::io::StreamReader;
use tower_http::timeout::{TimeoutBody, TimeoutError};

use crate::error::{ApiError, HttpError};

/// What a body reader saw, read after the core is done with it.
#[derive(Debug, Clone, Default)]
pub struct BodyProbe {
    timed_out: Arc<AtomicBool>,
    broken: Arc<AtomicBool>,
    received: Arc<AtomicU64>,
}

impl BodyProbe {
    /// Whether the body stalled past the idle timeout.
    pub fn timed_out(&self) -> bool {
        self.timed_out.load(Ordering::Relaxed)
    }

    /// Whether the body broke off before its end (not a stall).
    pub fn broken(&self) -> bool {
        self.broken.load(Ordering::Relaxed)
    }

    /// Bytes taken from the body so far.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// What a request whose body this probe watched failed of, when the body is the cause:
    /// `body_timeout` after a stall past `idle`, `body_incomplete` when it broke off. `None`
    /// when the body was fine and the failure is the core's own.
    pub fn failure(&self, idle: Duration) -> Option<HttpError> {
        if self.timed_out() {
            Some(HttpError::BodyTimeout(idle.as_secs()))
        } else if self.broken() {
            Some(HttpError::BodyIncomplete {
                received: self.received(),
            })
        } else {
            None
        }
    }

    /// Logs a body that broke off — the client went away mid-upload, an ordinary event — as
    /// one `info` line with what was received and what the server keeps (`kept`: the
    /// upload's offset now, to resume from; 0 for a whole-body `PUT`, which keeps nothing).
    pub fn log_disconnect(&self, kept: Option<u64>) {
        if self.broken() {
            tracing::info!(
                bytes_received = self.received(),
                bytes_kept = kept,
                "client disconnected mid-upload"
            );
        }
    }

    /// The error a request whose body this probe watched answers with when the core failed
    /// with `core`: the body's own [`failure`](Self::failure) when the body is the cause.
    pub fn explain(&self, idle: Duration, core: impl Into<ApiError>) -> ApiError {
        match self.failure(idle) {
            Some(body) => body.into(),
            None => core.into(),
        }
    }
}

/// The body as a byte stream with the idle deadline applied to every piece.
pub fn stream(
    body: Body,
    idle: Duration,
    probe: BodyProbe,
) -> impl Stream<Item = io::Result<Bytes>> + Send + Unpin {
    let data = TimeoutBody::new(idle, body).into_data_stream();
    Box::pin(data.map(move |piece| match piece {
        Ok(bytes) => {
            probe
                .received
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            Ok(bytes)
        }
        Err(e) if e.is::<TimeoutError>() => {
            probe.timed_out.store(true, Ordering::Relaxed);
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "request body stalled",
            ))
        }
        Err(e) => {
            probe.broken.store(true, Ordering::Relaxed);
            Err(io::Error::other(e))
        }
    }))
}

/// The body as an `AsyncRead`.
pub fn reader(
    body: Body,
    idle: Duration,
    probe: BodyProbe,
) -> StreamReader<impl Stream<Item = io::Result<Bytes>> + Send + Unpin, Bytes> {
    StreamReader::new(stream(body, idle, probe))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn a_body_that_goes_silent_times_out_and_says_so() {
        let (tx, probe, mut reader) = fed_reader(1, Duration::from_millis(200));
        tx.send(Ok(Bytes::from_static(b"abc"))).await.unwrap();
        let mut buf = [0u8; 3];
        reader.read_exact(&mut buf).await.unwrap();
        assert_eq!(
            (&buf, probe.received(), probe.timed_out()),
            (b"abc", 3, false)
        );
        let err = reader.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(probe.timed_out());
        drop(tx);
    }

    #[tokio::test]
    async fn a_slow_body_that_never_pauses_past_the_deadline_is_read_whole() {
        let (tx, probe, mut reader) = fed_reader(1, Duration::from_millis(500));
        let read = tokio::spawn(async move {
            let mut all = Vec::new();
            reader.read_to_end(&mut all).await.map(|_| all.len())
        });
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(30)).await;
            tx.send(Ok(Bytes::from_static(b"0123456789")))
                .await
                .unwrap();
        }
        drop(tx);
        assert_eq!(read.await.unwrap().unwrap(), 100);
        assert!(!probe.timed_out());
    }

    #[tokio::test]
    async fn a_body_that_breaks_off_is_incomplete_not_a_stall() {
        let (tx, probe, mut reader) = fed_reader(2, Duration::from_secs(30));
        tx.send(Ok(Bytes::from_static(b"abcd"))).await.unwrap();
        tx.send(Err(io::Error::new(io::ErrorKind::UnexpectedEof, "cut")))
            .await
            .unwrap();
        let mut all = Vec::new();
        reader.read_to_end(&mut all).await.unwrap_err();
        assert_eq!(
            (all.len(), probe.broken(), probe.timed_out()),
            (4, true, false)
        );
        let failure = probe
            .failure(Duration::from_secs(30))
            .map(|e| e.to_string());
        assert_eq!(
            failure.as_deref(),
            Some("the request body ended after 4 bytes, before its end")
        );
    }

    /// A [`reader`] over a body the test feeds piece by piece through the returned sender
    /// (at most `pieces` wait unread), and the probe that reader reports to.
    fn fed_reader(
        pieces: usize,
        idle: Duration,
    ) -> (
        tokio::sync::mpsc::Sender<io::Result<Bytes>>,
        BodyProbe,
        impl tokio::io::AsyncRead + Send + Unpin + 'static,
    ) {
        let (tx, mut rx) = tokio::sync::mpsc::channel(pieces);
        let body = Body::from_stream(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)));
        let probe = BodyProbe::default();
        (tx, probe.clone(), reader(body, idle, probe))
    }
}
