//! [`ReadAhead`]: large socket reads under a TLS session.
//!
//! rustls asks its transport for at most 4 KiB at a time (`READ_SIZE` in its deframer), so a
//! TLS upload of 1 GiB took some 260 000 `read` calls where the plain door takes a few
//! thousand, and each call also regrew and zero-filled rustls' buffer. Reading up to
//! [`CAPACITY`] from the socket at once and handing rustls its 4 KiB pieces from memory turns
//! those calls into memory copies.
//!
//! Hand-written instead of `tokio::io::BufReader` because that one allocates its buffer when
//! the stream is made and keeps it for the connection's life: 1 000 idle TLS connections would
//! hold 32 MiB of empty buffers. This one allocates when bytes arrive and frees the buffer as
//! soon as it is drained and the socket has nothing more, so an idle connection holds none.
//! Writes pass straight through (vectored included).

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most bytes read from the socket at once: two full TLS records.
pub const CAPACITY: usize = 32 * 1024;

/// A stream whose reads are served from one large read of the inner stream.
#[derive(Debug)]
pub struct ReadAhead<S> {
    inner: S,
    /// [`CAPACITY`] bytes while any are held, empty otherwise; the held ones are
    /// `buf[pos..end]`.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
}

impl<S> ReadAhead<S> {
    /// Wraps `inner`; nothing is allocated until bytes arrive.
    pub fn new(inner: S) -> Self {
        ReadAhead {
            inner,
            buf: Vec::new(),
            pos: 0,
            end: 0,
        }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Whether a buffer is allocated now.
    pub fn holds_buffer(&self) -> bool {
        !self.buf.is_empty()
    }

    /// The first byte the peer sends, left unread (`None` if it closed without sending any):
    /// what a TLS port looks at to tell a ClientHello from plain text before the handshake.
    pub async fn first_byte(&mut self) -> io::Result<Option<u8>>
    where
        S: AsyncRead + Unpin,
    {
        if self.pos == self.end {
            let this = &mut *self;
            this.buf = vec![0; CAPACITY];
            let filled = std::future::poll_fn(|cx| {
                let mut fill = ReadBuf::new(&mut this.buf);
                Pin::new(&mut this.inner)
                    .poll_read(cx, &mut fill)
                    .map_ok(|()| fill.filled().len())
            })
            .await;
            match filled {
                Ok(n) => (self.pos, self.end) = (0, n),
                Err(e) => {
                    self.release();
                    return Err(e);
                }
            }
            if self.end == 0 {
                self.release();
                return Ok(None);
            }
        }
        Ok(Some(self.buf[self.pos]))
    }

    fn release(&mut self) {
        self.buf = Vec::new();
        (self.pos, self.end) = (0, 0);
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ReadAhead<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.pos == this.end {
            // A caller asking for a whole buffer's worth or more reads directly.
            if out.remaining() >= CAPACITY {
                this.release();
                return Pin::new(&mut this.inner).poll_read(cx, out);
            }
            if this.buf.is_empty() {
                this.buf = vec![0; CAPACITY];
            }
            let mut fill = ReadBuf::new(&mut this.buf);
            match Pin::new(&mut this.inner).poll_read(cx, &mut fill) {
                Poll::Ready(Ok(())) => (this.pos, this.end) = (0, fill.filled().len()),
                other => {
                    // Nothing arrived, or an error: hold no buffer meanwhile.
                    this.release();
                    return other;
                }
            }
        }
        let n = (this.end - this.pos).min(out.remaining());
        out.put_slice(&this.buf[this.pos..this.pos + n]);
        this.pos += n;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ReadAhead<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn small_reads_are_served_from_one_large_read_and_an_idle_stream_holds_no_buffer() {
        let (mut far, near) = tokio::io::duplex(256 * 1024);
        let mut s = ReadAhead::new(near);
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        far.write_all(&data).await.unwrap();
        let mut got = Vec::new();
        let mut piece = [0u8; 4096];
        while got.len() < data.len() {
            let n = s.read(&mut piece).await.unwrap();
            assert!(n > 0);
            got.extend_from_slice(&piece[..n]);
        }
        assert_eq!(got, data);
        assert!(
            s.holds_buffer(),
            "drained, but the socket was not found empty yet"
        );
        // Nothing more to read: the next read waits, and waits without a buffer.
        let pending = tokio::time::timeout(Duration::from_millis(50), s.read(&mut piece)).await;
        assert!(pending.is_err());
        assert!(!s.holds_buffer());
        // Writes go straight through; the end of the stream reads as 0.
        s.write_all(b"back").await.unwrap();
        let mut back = [0u8; 4];
        far.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"back");
        drop(far);
        assert_eq!(s.read(&mut piece).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn the_first_byte_is_looked_at_without_being_consumed() {
        let (mut far, near) = tokio::io::duplex(1024);
        let mut s = ReadAhead::new(near);
        far.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        assert_eq!(s.first_byte().await.unwrap(), Some(b'G'));
        assert_eq!(s.first_byte().await.unwrap(), Some(b'G'));
        let mut line = [0u8; 16];
        s.read_exact(&mut line).await.unwrap();
        assert_eq!(&line, b"GET / HTTP/1.1\r\n");
        // A peer that closes without a byte has none.
        let (far, near) = tokio::io::duplex(1024);
        drop(far);
        let mut s = ReadAhead::new(near);
        assert_eq!(s.first_byte().await.unwrap(), None);
        assert!(!s.holds_buffer());
    }
}
