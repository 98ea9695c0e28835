//! A frame's payload read straight from the connection, for payloads streamed to storage.
//!
//! An `upload_write` chunk is up to 1 MiB. Read whole, every connection that is uploading
//! holds one such buffer for as long as its chunk waits to be hashed and written; with many
//! uploads at once that is a mebibyte per connection for as long as the machine is busy. As a
//! reader the chunk goes to the core's append in small blocks, so an upload holds about two of
//! them instead, whatever the chunk size.
//!
//! [`Payload`] yields exactly the frame's `len` bytes — first those the connection had
//! already buffered, then the stream's, never a byte of the next frame — and fails with
//! `UnexpectedEof` if the stream ends first and `TimedOut` at the frame deadline, as a frame
//! read whole would. Whatever the consumer leaves unread is skipped by [`Payload::finish`],
//! so the connection stays in step for the next frame.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};
use tokio::time::{Instant, Sleep, sleep_until};

/// The payload of one frame, read from `buffered` and then `stream`.
pub struct Payload<'a, S> {
    buffered: &'a mut BytesMut,
    stream: &'a mut S,
    left: usize,
    deadline: Pin<Box<Sleep>>,
    /// The stream failed or ended inside the payload: the connection is out of step.
    broken: bool,
}

impl<S> std::fmt::Debug for Payload<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payload")
            .field("left", &self.left)
            .field("broken", &self.broken)
            .finish()
    }
}

impl<'a, S: AsyncRead + Unpin> Payload<'a, S> {
    /// `len` payload bytes, to be read by `deadline`.
    pub(crate) fn new(
        buffered: &'a mut BytesMut,
        stream: &'a mut S,
        len: usize,
        deadline: Instant,
    ) -> Self {
        Payload {
            buffered,
            stream,
            left: len,
            deadline: Box::pin(sleep_until(deadline)),
            broken: false,
        }
    }

    /// Skips what was not read, so the next frame starts where it should. An error means the
    /// connection cannot go on (the stream failed, ended, or the deadline passed).
    pub async fn finish(mut self) -> io::Result<()> {
        if self.broken {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let mut sink = [0u8; 8 * 1024];
        while self.left > 0 {
            let want = self.left.min(sink.len());
            self.read_exact(&mut sink[..want]).await?;
        }
        Ok(())
    }

    /// Whether reading failed: the consumer's error came from the connection, not its data.
    pub fn broken(&self) -> bool {
        self.broken
    }

    fn fail(&mut self, kind: io::ErrorKind) -> Poll<io::Result<()>> {
        self.broken = true;
        Poll::Ready(Err(kind.into()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Payload<'_, S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.left == 0 || buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        if this.broken {
            return this.fail(io::ErrorKind::BrokenPipe);
        }
        if !this.buffered.is_empty() {
            let n = this.left.min(buf.remaining()).min(this.buffered.len());
            buf.put_slice(&this.buffered[..n]);
            this.buffered.advance(n);
            this.left -= n;
            return Poll::Ready(Ok(()));
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            return this.fail(io::ErrorKind::TimedOut);
        }
        // Read no further than this payload: the next frame's bytes stay in the socket.
        // (`Take` does the bookkeeping of a limited read into `buf`.)
        let before = buf.filled().len();
        let mut limited = (&mut *this.stream).take(this.left as u64);
        if let Err(e) = ready!(Pin::new(&mut limited).poll_read(cx, buf)) {
            this.broken = true;
            return Poll::Ready(Err(e));
        }
        let n = buf.filled().len() - before;
        if n == 0 {
            return this.fail(io::ErrorKind::UnexpectedEof);
        }
        this.left -= n;
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncWriteExt, duplex};

    use super::*;

    fn soon(secs: u64) -> Instant {
        Instant::now() + Duration::from_secs(secs)
    }

    #[tokio::test]
    async fn yields_the_buffered_bytes_then_the_streams_and_stops_at_the_payload_end() {
        let (mut ours, mut theirs) = duplex(1024);
        theirs.write_all(b"defgNEXT").await.unwrap();
        let mut buffered = BytesMut::from(&b"abc"[..]);
        let mut payload = Payload::new(&mut buffered, &mut ours, 7, soon(5));
        let mut got = Vec::new();
        payload.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"abcdefg");
        payload.finish().await.unwrap();
        let mut rest = [0u8; 4];
        ours.read_exact(&mut rest).await.unwrap();
        assert_eq!(
            &rest, b"NEXT",
            "the next frame's bytes were left in the stream"
        );
    }

    #[tokio::test]
    async fn finish_skips_what_the_consumer_left_unread() {
        let (mut ours, mut theirs) = duplex(1 << 16);
        let body = vec![9u8; 20_000];
        theirs.write_all(&body).await.unwrap();
        theirs.write_all(b"X").await.unwrap();
        let mut buffered = BytesMut::new();
        let mut payload = Payload::new(&mut buffered, &mut ours, body.len(), soon(5));
        let mut first = [0u8; 10];
        payload.read_exact(&mut first).await.unwrap();
        payload.finish().await.unwrap();
        let mut next = [0u8; 1];
        ours.read_exact(&mut next).await.unwrap();
        assert_eq!(&next, b"X");
    }

    #[tokio::test]
    async fn a_stream_that_ends_inside_the_payload_is_an_error_not_a_short_payload() {
        let (mut ours, mut theirs) = duplex(1024);
        theirs.write_all(b"ab").await.unwrap();
        drop(theirs);
        let mut buffered = BytesMut::new();
        let mut payload = Payload::new(&mut buffered, &mut ours, 5, soon(5));
        let mut got = Vec::new();
        let err = payload.read_to_end(&mut got).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(payload.broken());
        assert!(payload.finish().await.is_err());
    }

    #[tokio::test]
    async fn a_payload_that_stalls_past_the_deadline_times_out() {
        let (mut ours, mut theirs) = duplex(1024);
        theirs.write_all(b"ab").await.unwrap();
        let mut buffered = BytesMut::new();
        let deadline = Instant::now() + Duration::from_millis(200);
        let mut payload = Payload::new(&mut buffered, &mut ours, 5, deadline);
        let mut got = [0u8; 5];
        let err = payload.read_exact(&mut got).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        drop(theirs);
    }
}
