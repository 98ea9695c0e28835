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
use ferry_proto::{Frame, FrameCodec, FrameError, Header, encode_head};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};
use tokio_util::codec::{Decoder, Encoder};

use crate::payload::Payload;

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

/// Something a door attaches to a frame when it sees the frame's header (a count of work in
/// progress, say): handed back with the frame, or dropped with the connection if the frame
/// never completes, so whatever it counts is never left counted.
pub struct Tag(pub Box<dyn std::any::Any + Send>);

impl std::fmt::Debug for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tag")
    }
}

/// How a door wants a frame read, decided from its header and payload length.
#[derive(Debug, Default)]
pub struct ReadAs {
    /// Leave the payload on the connection, for [`Connection::payload`].
    pub streamed: bool,
    /// Returned with the frame (see [`Tag`]).
    pub tag: Option<Tag>,
}

/// What [`Connection::read_incoming`] read: a whole frame, or a header whose payload is left
/// on the connection to be read through [`Connection::payload`].
#[derive(Debug)]
pub enum Incoming {
    /// A frame with its payload in memory.
    Frame(Frame, Option<Tag>),
    /// A header; `len` payload bytes follow it.
    Streamed {
        /// The frame's header.
        header: Header,
        /// Its payload's length.
        len: usize,
        /// When the payload must have arrived (the frame deadline, from the frame's start).
        deadline: Instant,
        /// What the door attached to it.
        tag: Option<Tag>,
    },
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
        if self.read.is_empty() {
            match timeout(idle, self.fill()).await {
                Err(_) => return Err(ReadError::Idle),
                Ok(Err(e)) => return Err(ReadError::Frame(e.into())),
                Ok(Ok(0)) => return self.at_eof().map_err(ReadError::Frame),
                Ok(Ok(_)) => {}
            }
        }
        match timeout(self.frame_timeout, self.complete_frame()).await {
            Err(_) => Err(ReadError::FrameTimeout),
            Ok(r) => r.map_err(ReadError::Frame),
        }
    }

    /// The next frame, or only its header when `stream(header, len)` says its payload is to
    /// be read through [`payload`](Self::payload) (which must follow before the next read).
    /// Deadlines, cancel-safety and errors as [`read_frame`](Self::read_frame).
    pub async fn read_incoming(
        &mut self,
        idle: Duration,
        classify: impl Fn(&Header, usize) -> ReadAs,
    ) -> Result<Option<Incoming>, ReadError> {
        if self.read.is_empty() {
            match timeout(idle, self.fill()).await {
                Err(_) => return Err(ReadError::Idle),
                Ok(Err(e)) => return Err(ReadError::Frame(e.into())),
                Ok(Ok(0)) => {
                    return self
                        .at_eof()
                        .map(|f| f.map(|f| Incoming::Frame(f, None)))
                        .map_err(ReadError::Frame);
                }
                Ok(Ok(_)) => {}
            }
        }
        let deadline = Instant::now() + self.frame_timeout;
        match tokio::time::timeout_at(deadline, self.complete_incoming(classify, deadline)).await {
            Err(_) => Err(ReadError::FrameTimeout),
            Ok(r) => r.map_err(ReadError::Frame),
        }
    }

    async fn complete_incoming(
        &mut self,
        classify: impl Fn(&Header, usize) -> ReadAs,
        deadline: Instant,
    ) -> Result<Option<Incoming>, FrameError> {
        loop {
            if self.codec.at_head()
                && let Some((header, len)) = self.codec.decode_header(&mut self.read)?
            {
                let how = classify(&header, len);
                if how.streamed {
                    return Ok(Some(Incoming::Streamed {
                        header,
                        len,
                        deadline,
                        tag: how.tag,
                    }));
                }
                // Kept here until the frame is whole: a read cancelled meanwhile resumes it.
                self.tag = how.tag;
                self.codec.expect_payload(header, len);
            }
            if !self.codec.at_head()
                && let Some(frame) = self.codec.decode(&mut self.read)?
            {
                self.let_go_of(&frame);
                return Ok(Some(Incoming::Frame(frame, self.tag.take())));
            }
            if self.fill().await? == 0 {
                return Ok(self.at_eof()?.map(|f| Incoming::Frame(f, self.tag.take())));
            }
        }
    }

    /// The payload of the frame [`read_incoming`](Self::read_incoming) left streamed: `len`
    /// bytes by `deadline`. It must be read or [finished](Payload::finish) before the next frame.
    pub fn payload(&mut self, len: usize, deadline: Instant) -> Payload<'_, S> {
        Payload::new(&mut self.read, &mut self.stream, len, deadline)
    }

    /// Decodes from the buffer, reading more until a frame is whole or the stream ends.
    async fn complete_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        loop {
            if let Some(frame) = self.codec.decode(&mut self.read)? {
                self.let_go_of(&frame);
                return Ok(Some(frame));
            }
            if self.fill().await? == 0 {
                return self.at_eof();
            }
        }
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
mod tests {
    use bytes::Bytes;
    use ferry_proto::encode_frame;
    use serde_json::json;
    use tokio::io::{AsyncWriteExt, DuplexStream, duplex};

    use super::*;

    const SHORT: Duration = Duration::from_millis(100);
    const LONG: Duration = Duration::from_secs(5);

    /// A connection over an in-memory stream (not a socket), and the peer's end.
    fn pair() -> (Connection<DuplexStream>, DuplexStream) {
        let (ours, theirs) = duplex(4 * 1024 * 1024);
        (Connection::new(ours, SHORT, LONG), theirs)
    }

    fn frame(op: &str, payload: &[u8]) -> Frame {
        let serde_json::Value::Object(header) = json!({ "op": op }) else {
            unreachable!()
        };
        Frame::with_payload(header, Bytes::copy_from_slice(payload))
    }

    fn bytes_of(frames: &[Frame]) -> Vec<u8> {
        let mut out = BytesMut::new();
        for f in frames {
            encode_frame(&f.header, &f.payload, &mut out).unwrap();
        }
        out.to_vec()
    }

    #[tokio::test]
    async fn frames_that_arrive_in_one_read_are_all_decoded_without_waiting_for_more() {
        let (mut conn, mut peer) = pair();
        let frames = [frame("a", b"xyz"), frame("b", b"")];
        peer.write_all(&bytes_of(&frames)).await.unwrap();
        assert_eq!(conn.read_frame(LONG).await.unwrap().unwrap(), frames[0]);
        assert!(conn.has_buffered_input());
        assert_eq!(conn.read_frame(LONG).await.unwrap().unwrap(), frames[1]);
        assert!(!conn.has_buffered_input());
    }

    #[tokio::test]
    async fn a_streamed_payload_is_read_through_the_connection_and_the_next_frame_follows() {
        let (mut conn, mut peer) = pair();
        let frames = [frame("big", &[5u8; 100_000]), frame("small", b"ab")];
        peer.write_all(&bytes_of(&frames)).await.unwrap();
        let streamed = |_: &Header, len: usize| ReadAs {
            streamed: len > 10,
            tag: None,
        };
        let Some(Incoming::Streamed {
            header,
            len,
            deadline,
            ..
        }) = conn.read_incoming(LONG, streamed).await.unwrap()
        else {
            panic!("the big frame is streamed");
        };
        assert_eq!((header, len), (frames[0].header.clone(), 100_000));
        let mut payload = conn.payload(len, deadline);
        let mut got = vec![0u8; 1000];
        tokio::io::AsyncReadExt::read_exact(&mut payload, &mut got)
            .await
            .unwrap();
        assert!(got.iter().all(|&b| b == 5));
        payload.finish().await.unwrap();
        match conn.read_incoming(LONG, streamed).await.unwrap() {
            Some(Incoming::Frame(f, _)) => assert_eq!(f, frames[1]),
            other => panic!("the small frame whole, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn silence_is_an_idle_timeout_and_a_started_frame_a_frame_timeout() {
        let (mut conn, mut peer) = pair();
        assert!(matches!(conn.read_frame(SHORT).await, Err(ReadError::Idle)));
        peer.write_all(&[0, 0]).await.unwrap();
        let started = tokio::time::Instant::now();
        assert!(matches!(
            conn.read_frame(LONG).await,
            Err(ReadError::FrameTimeout)
        ));
        assert!(
            started.elapsed() < LONG,
            "the frame deadline, not the idle one"
        );
    }

    #[tokio::test]
    async fn a_close_between_frames_is_clean_and_one_inside_a_frame_is_an_error() {
        let (mut conn, peer) = pair();
        drop(peer);
        assert!(matches!(conn.read_frame(LONG).await, Ok(None)));

        let (mut conn, mut peer) = pair();
        let whole = bytes_of(&[frame("a", b"payload")]);
        peer.write_all(&whole[..whole.len() - 2]).await.unwrap();
        drop(peer);
        assert!(matches!(
            conn.read_frame(LONG).await,
            Err(ReadError::Frame(FrameError::Io(_)))
        ));
    }

    #[tokio::test]
    async fn small_queued_and_big_direct_frames_reach_the_peer_in_order() {
        let (mut conn, theirs) = pair();
        let big = vec![7u8; DIRECT_PAYLOAD * 2];
        let sent = [frame("ack", b"1"), frame("ack", b"2"), frame("data", &big)];
        conn.feed(sent[0].clone()).await.unwrap();
        conn.feed(sent[1].clone()).await.unwrap();
        conn.send(sent[2].clone()).await.unwrap();
        let mut peer = Connection::new(theirs, LONG, LONG);
        for want in &sent {
            assert_eq!(peer.read_frame(LONG).await.unwrap().as_ref(), Some(want));
        }
    }
}
