//! One TCP connection as a stream of frames, with the deadlines a server needs.
//!
//! Two read deadlines: the *idle* one bounds the wait for the first byte of the next frame, the
//! *frame* one bounds how long a started frame may take to arrive completely — so a client
//! dribbling one byte at a time is cut off however patient the idle timeout is.

use std::time::Duration;

use bytes::{Buf, BytesMut};
use ferry_proto::{Frame, FrameCodec, FrameError, encode_head};
use futures::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_util::codec::Framed;

/// Payloads from this size on are written from their own buffer (see [`Connection::send`]).
const DIRECT_PAYLOAD: usize = 64 * 1024;

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

/// A framed socket with deadlines.
#[derive(Debug)]
pub struct Connection {
    framed: Framed<TcpStream, FrameCodec>,
    frame_timeout: Duration,
    write_timeout: Duration,
}

impl Connection {
    /// Wraps an accepted socket.
    pub fn new(stream: TcpStream, frame_timeout: Duration, write_timeout: Duration) -> Self {
        Connection {
            framed: Framed::new(stream, FrameCodec::default()),
            frame_timeout,
            write_timeout,
        }
    }

    /// The next frame; `Ok(None)` when the peer closed cleanly between frames.
    pub async fn read_frame(&mut self, idle: Duration) -> Result<Option<Frame>, ReadError> {
        if self.framed.read_buffer().is_empty() {
            match timeout(idle, self.framed.get_ref().readable()).await {
                Err(_) => return Err(ReadError::Idle),
                Ok(Err(e)) => return Err(ReadError::Frame(e.into())),
                Ok(Ok(())) => {}
            }
        }
        match timeout(self.frame_timeout, self.framed.next()).await {
            Err(_) => Err(ReadError::FrameTimeout),
            Ok(None) => Ok(None),
            Ok(Some(Ok(frame))) => Ok(Some(frame)),
            Ok(Some(Err(e))) => Err(ReadError::Frame(e)),
        }
    }

    /// Sends one frame, flushing it, within the write deadline.
    ///
    /// A big payload (a download chunk) is not copied into the codec's write buffer: its
    /// header is encoded alone and both go out in one vectored write from their own buffers,
    /// which saves a copy of every byte a download sends.
    pub async fn send(&mut self, frame: Frame) -> Result<(), FrameError> {
        let write = async {
            if frame.payload.len() < DIRECT_PAYLOAD {
                return self.framed.send(frame).await;
            }
            self.framed.flush().await?;
            let mut head = BytesMut::with_capacity(256);
            encode_head(&frame.header, frame.payload.len(), &mut head)?;
            let mut both = head.chain(frame.payload);
            self.framed.get_mut().write_all_buf(&mut both).await?;
            Ok(())
        };
        match timeout(self.write_timeout, write).await {
            Ok(r) => r,
            Err(_) => Err(FrameError::Io(std::io::ErrorKind::TimedOut.into())),
        }
    }

    /// Queues one frame without flushing (for bursts of acks).
    pub async fn feed(&mut self, frame: Frame) -> Result<(), FrameError> {
        match timeout(self.write_timeout, self.framed.feed(frame)).await {
            Ok(r) => r,
            Err(_) => Err(FrameError::Io(std::io::ErrorKind::TimedOut.into())),
        }
    }

    /// Flushes queued frames.
    pub async fn flush(&mut self) -> Result<(), FrameError> {
        match timeout(self.write_timeout, self.framed.flush()).await {
            Ok(r) => r,
            Err(_) => Err(FrameError::Io(std::io::ErrorKind::TimedOut.into())),
        }
    }

    /// Whether a complete or partial next frame is already buffered.
    pub fn has_buffered_input(&self) -> bool {
        !self.framed.read_buffer().is_empty()
    }
}
