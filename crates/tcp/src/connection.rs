//! One connection as a stream of frames, with the deadlines a server needs.
//!
//! Two read deadlines: the *idle* one bounds the wait for the first byte of the next frame, the
//! *frame* one bounds how long a started frame may take to arrive completely — so a client
//! dribbling one byte at a time is cut off however patient the idle timeout is.
//!
//! The connection owns its stream and both buffers (as mini-redis's `Connection` does) rather
//! than wrapping a `Framed`: waiting for the first byte of a frame has to *read* it on a
//! generic stream (only `TcpStream` has `readable()`), and bytes put into a `Framed`'s read
//! buffer from outside are not decoded until the next read from the stream returns, which
//! could be never. The codec stays the pure `FrameCodec`; only the few lines that move bytes
//! between it and the stream are here. Any `AsyncRead + AsyncWrite` works, so TLS is a
//! wrapper around the accepted socket and nothing here changes.

use std::time::Duration;

use bytes::{Buf, BytesMut};
use ferry_proto::{Frame, FrameCodec, FrameError, encode_head};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_util::codec::{Decoder, Encoder};

mod incoming;

pub use incoming::{Incoming, ReadAs, Tag};

/// Payloads from this size on are written from their own buffer (see [`Connection::send`]).
const DIRECT_PAYLOAD: usize = 64 * 1024;
/// What the read buffer starts with (what `Framed` starts with).
const READ_CAPACITY: usize = 8 * 1024;
/// [`Connection::feed`] writes the queue out once it holds this much (as `Framed` does).
const FEED_BOUNDARY: usize = 8 * 1024;

/// Why no frame could be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Nothing arrived within the idle timeout.
    #[error("idle timeout")]
    Idle,
    /// A frame started but did not complete within the frame deadline.
    #[error("frame deadline exceeded")]
    FrameTimeout,
    /// The bytes are not a valid frame; the stream is out of step.
    #[error(transparent)]
    Frame(FrameError),
}

/// A framed stream with deadlines; a TCP socket unless said otherwise.
#[derive(Debug)]
pub struct Connection<S = TcpStream> {
    stream: S,
    codec: FrameCodec,
    read: BytesMut,
    /// The door's tag for the frame being read whole (see [`Tag`]).
    tag: Option<Tag>,
    write: BytesMut,
    frame_timeout: Duration,
    write_timeout: Duration,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// Wraps an accepted stream.
    pub fn new(stream: S, frame_timeout: Duration, write_timeout: Duration) -> Self {
        Connection {
            stream,
            codec: FrameCodec::default(),
            read: BytesMut::with_capacity(READ_CAPACITY),
            tag: None,
            // Empty until the first reply: an idle connection then holds only its read
            // buffer (the `idle` bench row measures what each one costs).
            write: BytesMut::new(),
            frame_timeout,
            write_timeout,
        }
    }

    /// The next frame; `Ok(None)` when the peer closed cleanly between frames.
    ///
    /// Cancel-safe: every byte read is kept in the connection's buffer, so a `select!` that
    /// drops this future loses nothing (the next call gives a started frame a fresh deadline).
    pub async fn read_frame(&mut self, idle: Duration) -> Result<Option<Frame>, ReadError> {
        let whole = self.read_incoming(idle, |_, _| ReadAs::default()).await?;
        Ok(whole.map(|incoming| match incoming {
            Incoming::Frame(frame, _) => frame,
            Incoming::Streamed { .. } => unreachable!("read_frame streams nothing"),
        }))
    }

    /// After a frame with a big payload: the bytes after it move to a fresh small buffer, so
    /// the big one is freed with the payload instead of staying this connection's read buffer.
    /// Kept, it would hold a chunk's worth of memory for every connection that once received
    /// one whole, however the connection reads afterwards (streamed, or idle).
    fn let_go_of(&mut self, frame: &Frame) {
        if frame.payload.len() >= DIRECT_PAYLOAD {
            let rest = std::mem::replace(&mut self.read, BytesMut::with_capacity(READ_CAPACITY));
            self.read.extend_from_slice(&rest);
        }
    }

    /// Reads what the stream has into the buffer; 0 at the end of the stream.
    async fn fill(&mut self) -> std::io::Result<usize> {
        // Room for at least one byte, so a 0 always means the end of the stream.
        self.read.reserve(1);
        self.stream.read_buf(&mut self.read).await
    }

    /// The stream ended: a last whole frame, a clean close, or an error for a cut frame.
    fn at_eof(&mut self) -> Result<Option<Frame>, FrameError> {
        self.codec.decode_eof(&mut self.read)
    }

    /// Sends one frame, flushing it, as long as the client keeps accepting bytes (see
    /// [`write_all_within`]).
    ///
    /// A big payload (a download chunk) is not copied into the write buffer: its header is
    /// encoded alone and both go out in vectored writes from their own buffers, which saves a
    /// copy of every byte a download sends.
    pub async fn send(&mut self, frame: Frame) -> Result<(), FrameError> {
        if frame.payload.len() < DIRECT_PAYLOAD {
            self.codec.encode(frame, &mut self.write)?;
            return self.write_out().await;
        }
        self.write_out().await?;
        let mut head = BytesMut::with_capacity(256);
        encode_head(&frame.header, frame.payload.len(), &mut head)?;
        let mut both = head.chain(frame.payload);
        write_all_within(&mut self.stream, &mut both, self.write_timeout).await?;
        flush_within(&mut self.stream, self.write_timeout).await
    }

    /// Queues one frame without flushing (for bursts of acks).
    pub async fn feed(&mut self, frame: Frame) -> Result<(), FrameError> {
        if self.write.len() >= FEED_BOUNDARY {
            self.write_out().await?;
        }
        self.codec.encode(frame, &mut self.write)
    }

    /// Flushes queued frames.
    pub async fn flush(&mut self) -> Result<(), FrameError> {
        self.write_out().await
    }

    /// Whether a complete or partial next frame is already buffered.
    pub fn has_buffered_input(&self) -> bool {
        !self.read.is_empty()
    }

    /// Writes the queue out and flushes the stream (a no-op for TCP, not for TLS).
    async fn write_out(&mut self) -> Result<(), FrameError> {
        write_all_within(&mut self.stream, &mut self.write, self.write_timeout).await?;
        flush_within(&mut self.stream, self.write_timeout).await
    }
}

/// Writes all of `buf` (vectored, from its own chunks), failing with a timed-out I/O error
/// when the client accepts no byte for `idle`.
///
/// The deadline is on progress, not on the whole write: a 1 MiB download chunk to a client
/// reading at 30 KB/s takes 35 s, and such a client is reading, not stalled. A deadline on
/// the whole frame cut every link slower than 1 MiB per write timeout off in the middle of
/// its first chunk. A client that stops reading is still cut off after `idle`.
async fn write_all_within<S: AsyncWrite + Unpin>(
    stream: &mut S,
    buf: &mut impl Buf,
    idle: Duration,
) -> Result<(), FrameError> {
    while buf.has_remaining() {
        let wrote = {
            let mut slices = [std::io::IoSlice::new(&[]); 4];
            let n = buf.chunks_vectored(&mut slices);
            timeout(idle, stream.write_vectored(&slices[..n])).await
        };
        match wrote {
            Ok(Ok(0)) => return Err(FrameError::Io(std::io::ErrorKind::WriteZero.into())),
            Ok(Ok(written)) => buf.advance(written),
            Ok(Err(e)) => return Err(FrameError::Io(e)),
            Err(_) => return Err(FrameError::Io(std::io::ErrorKind::TimedOut.into())),
        }
    }
    Ok(())
}

/// Flushes `stream` (TLS records still buffered), under the same progress deadline.
async fn flush_within<S: AsyncWrite + Unpin>(
    stream: &mut S,
    idle: Duration,
) -> Result<(), FrameError> {
    match timeout(idle, stream.flush()).await {
        Ok(r) => r.map_err(FrameError::Io),
        Err(_) => Err(FrameError::Io(std::io::ErrorKind::TimedOut.into())),
    }
}

#[cfg(test)]
mod tests;
