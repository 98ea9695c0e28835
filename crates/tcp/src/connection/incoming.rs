//! Reading a frame header first: the door classifies each frame from its header and length,
//! and a frame it wants streamed comes back as its header, its payload left on the connection
//! for a [`Payload`] reader (see `crate::payload` for why upload chunks are streamed).

use std::time::Duration;

use ferry_proto::{FrameError, Header};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, timeout};
use tokio_util::codec::Decoder;

use super::{Connection, ReadError};
use crate::payload::Payload;
use ferry_proto::Frame;

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

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
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
}
