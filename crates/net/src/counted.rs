//! An accepted stream that counts the bytes it moves, into the door's
//! `ferry_received_bytes_total` and `ferry_sent_bytes_total`.
//!
//! The listener wraps every stream it accepts, so both doors (and TLS, which sits on top)
//! are counted in one place. Counting is an atomic add per read or write call, and nothing
//! at all when no recorder is installed (the handles are then no-ops). Vectored writes are
//! passed through as such: the TCP door and hyper both rely on them.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use ferry_metrics::catalog::{RECEIVED_BYTES, SENT_BYTES};
use ferry_metrics::metrics::{self, Counter};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// One door's byte counters; cheap to clone (two `Arc`s).
#[derive(Debug, Clone)]
pub struct ByteCounters {
    received: Counter,
    sent: Counter,
}

impl ByteCounters {
    /// The counters of `door`, registered once per listener.
    pub fn new(door: &'static str) -> Self {
        ByteCounters {
            received: metrics::counter!(RECEIVED_BYTES, "door" => door),
            sent: metrics::counter!(SENT_BYTES, "door" => door),
        }
    }
}

/// A stream whose reads and writes are counted.
#[derive(Debug)]
pub struct Counted<S> {
    inner: S,
    counters: ByteCounters,
}

impl<S> Counted<S> {
    /// Counts `inner`'s bytes into `counters`.
    pub fn new(inner: S, counters: ByteCounters) -> Self {
        Counted { inner, counters }
    }

    /// The stream underneath.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = read {
            this.counters
                .received
                .increment((buf.filled().len() - before) as u64);
        }
        read
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = written {
            this.counters.sent.increment(n as u64);
        }
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = written {
            this.counters.sent.increment(n as u64);
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
