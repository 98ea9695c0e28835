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

    /// Sends one frame, flushing it, within the write deadline.
    ///
    /// A big payload (a download chunk) is not copied into the write buffer: its header is
    /// encoded alone and both go out in vectored writes from their own buffers, which saves a
    /// copy of every byte a download sends.
    pub async fn send(&mut self, frame: Frame) -> Result<(), FrameError> {
        let deadline = self.write_timeout;
        let write = async {
            if frame.payload.len() < DIRECT_PAYLOAD {
                self.codec.encode(frame, &mut self.write)?;
                return self.write_out().await;
            }
            self.write_out().await?;
            let mut head = BytesMut::with_capacity(256);
            encode_head(&frame.header, frame.payload.len(), &mut head)?;
            let mut both = head.chain(frame.payload);
            self.stream.write_all_buf(&mut both).await?;
            self.stream.flush().await?;
            Ok(())
        };
        within(deadline, write).await
    }

    /// Queues one frame without flushing (for bursts of acks).
    pub async fn feed(&mut self, frame: Frame) -> Result<(), FrameError> {
        let deadline = self.write_timeout;
        let feed = async {
            if self.write.len() >= FEED_BOUNDARY {
                self.write_out().await?;
            }
            self.codec.encode(frame, &mut self.write)
        };
        within(deadline, feed).await
    }

    /// Flushes queued frames.
    pub async fn flush(&mut self) -> Result<(), FrameError> {
        within(self.write_timeout, self.write_out()).await
    }

    /// Whether a complete or partial next frame is already buffered.
    pub fn has_buffered_input(&self) -> bool {
        !self.read.is_empty()
    }

    /// Writes the queue out and flushes the stream (a no-op for TCP, not for TLS).
    async fn write_out(&mut self) -> Result<(), FrameError> {
        self.stream.write_all_buf(&mut self.write).await?;
        self.stream.flush().await?;
        Ok(())
    }
}

/// Runs a write under its deadline; running out is a timed-out I/O error.
async fn within(
    deadline: Duration,
    write: impl Future<Output = Result<(), FrameError>>,
) -> Result<(), FrameError> {
    match timeout(deadline, write).await {
        Ok(r) => r,
        Err(_) => Err(FrameError::Io(std::io::ErrorKind::TimedOut.into())),
    }
}

#[cfg(test)]
mod tests;
