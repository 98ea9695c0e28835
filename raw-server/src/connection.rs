//! One TCP connection as a stream of frames, with the deadlines a server needs.
//!
//! Two read deadlines: the *idle* one bounds the wait for the first byte of the next frame, the
//! *frame* one bounds how long a started frame may take to arrive completely — so a client
//! dribbling one byte at a time is cut off however patient the idle timeout is.

use std::time::Duration;

use ferry_core::protocol::{Frame, FrameCodec, FrameError};
use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_util::codec::Framed;

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
    pub async fn send(&mut self, frame: Frame) -> Result<(), FrameError> {
        match timeout(self.write_timeout, self.framed.send(frame)).await {
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
