//! The frame codec: length-prefixed JSON header plus an optional bounded payload.
//! (Just over 300 lines: the decoder, the header-only decode for streamed payloads and the
//! encoder share one state machine and one set of limits, and read best together.)
//!
//! ```text
//!  0               4                      4 + H                 4 + H + P
//!  +---------------+----------------------+---------------------+
//!  | H: u32, BE    | header: UTF-8 JSON   | payload: P bytes    |
//!  | header length | object, H bytes      | P = header["len"]   |
//!  +---------------+----------------------+---------------------+
//! ```
//!
//! `H` is checked against [`MAX_HEADER_LEN`] before a single header byte is buffered, and the
//! payload length announced by the header's `"len"` field (absent means 0) against
//! [`MAX_PAYLOAD_LEN`] before the payload is buffered. Big files therefore travel as many frames.
//! The decoder is a two-state machine in the shape of tokio-util's `LengthDelimitedCodec`:
//! `Head` (waiting for a complete length + header) and `Data(header, n)` (waiting for `n`
//! payload bytes). Incomplete input is `Ok(None)`; malformed input is a [`FrameError`] after
//! which the stream can no longer be trusted.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use serde_json::{Map, Value};
use tokio_util::codec::{Decoder, Encoder};

/// Largest JSON header accepted or produced, in bytes.
pub const MAX_HEADER_LEN: usize = 64 * 1024;
/// Largest payload one frame may carry, in bytes. File data travels as many such chunks.
pub const MAX_PAYLOAD_LEN: usize = 1024 * 1024;
/// Size of the length prefix.
pub const LEN_PREFIX: usize = 4;

/// A JSON object header.
pub type Header = Map<String, Value>;

/// One decoded frame: its header (without the `"len"` field) and its payload.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Frame {
    /// The JSON header object. `"len"` is removed on decode and set on encode.
    pub header: Header,
    /// Payload bytes; empty for most control messages.
    pub payload: Bytes,
}

impl Frame {
    /// A frame with a header and no payload.
    pub fn new(header: Header) -> Self {
        Frame {
            header,
            payload: Bytes::new(),
        }
    }

    /// A frame with a header and a payload.
    pub fn with_payload(header: Header, payload: Bytes) -> Self {
        Frame { header, payload }
    }
}

/// Why a byte stream could not be decoded into frames. After any of these the stream is out of
/// step and the connection must be closed (after telling the peer why, where possible).
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The header length prefix exceeds [`MAX_HEADER_LEN`].
    #[error("header length {len} exceeds the maximum of {max} bytes")]
    HeaderTooLarge {
        /// Announced length.
        len: usize,
        /// Limit in force.
        max: usize,
    },
    /// The header length prefix is zero.
    #[error("header length is zero")]
    EmptyHeader,
    /// The header's `"len"` exceeds [`MAX_PAYLOAD_LEN`].
    #[error("payload length {len} exceeds the maximum of {max} bytes")]
    PayloadTooLarge {
        /// Announced length.
        len: u64,
        /// Limit in force.
        max: usize,
    },
    /// The header is not UTF-8.
    #[error("header is not valid UTF-8")]
    BadUtf8,
    /// The header is not JSON.
    #[error("header is not valid JSON: {0}")]
    BadJson(String),
    /// The header is JSON but not an object.
    #[error("header is not a JSON object")]
    NotAnObject,
    /// The header's `"len"` is not a non-negative integer.
    #[error("header field \"len\" is not a non-negative integer")]
    BadLen,
    /// The transport failed.
    #[error("i/o error")]
    Io(#[from] std::io::Error),
}

impl FrameError {
    /// Stable snake_case code sent to the peer before closing.
    pub fn code(&self) -> &'static str {
        match self {
            FrameError::HeaderTooLarge { .. } => "frame_too_large",
            FrameError::PayloadTooLarge { .. } => "payload_too_large",
            FrameError::EmptyHeader
            | FrameError::BadUtf8
            | FrameError::BadJson(_)
            | FrameError::NotAnObject
            | FrameError::BadLen => "malformed_frame",
            FrameError::Io(_) => "io_error",
        }
    }
}

/// Limits a codec enforces; the defaults are [`MAX_HEADER_LEN`] and [`MAX_PAYLOAD_LEN`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimits {
    /// Largest header accepted.
    pub max_header: usize,
    /// Largest payload accepted.
    pub max_payload: usize,
}

impl Default for FrameLimits {
    fn default() -> Self {
        FrameLimits {
            max_header: MAX_HEADER_LEN,
            max_payload: MAX_PAYLOAD_LEN,
        }
    }
}

#[derive(Debug)]
enum State {
    Head,
    Data(Header, usize),
}

/// `tokio_util` codec for Ferry frames. Decoding and encoding are pure functions over
/// `BytesMut`; the codec never touches a socket.
#[derive(Debug)]
pub struct FrameCodec {
    limits: FrameLimits,
    state: State,
}

impl Default for FrameCodec {
    fn default() -> Self {
        Self::new(FrameLimits::default())
    }
}

impl FrameCodec {
    /// A codec enforcing `limits` on what it decodes.
    pub fn new(limits: FrameLimits) -> Self {
        FrameCodec {
            limits,
            state: State::Head,
        }
    }

    fn decode_head(&mut self, src: &mut BytesMut) -> Result<Option<(Header, usize)>, FrameError> {
        if src.len() < LEN_PREFIX {
            return Ok(None);
        }
        let len = u32::from_be_bytes([src[0], src[1], src[2], src[3]]) as usize;
        if len == 0 {
            return Err(FrameError::EmptyHeader);
        }
        if len > self.limits.max_header {
            return Err(FrameError::HeaderTooLarge {
                len,
                max: self.limits.max_header,
            });
        }
        let total = LEN_PREFIX + len;
        if src.len() < total {
            src.reserve(total - src.len());
            return Ok(None);
        }
        src.advance(LEN_PREFIX);
        let raw = src.split_to(len);
        let text = std::str::from_utf8(&raw).map_err(|_| FrameError::BadUtf8)?;
        let value: Value =
            serde_json::from_str(text).map_err(|e| FrameError::BadJson(e.to_string()))?;
        let Value::Object(mut header) = value else {
            return Err(FrameError::NotAnObject);
        };
        let payload_len = match header.remove("len") {
            None => 0,
            Some(v) => v.as_u64().ok_or(FrameError::BadLen)?,
        };
        if payload_len > self.limits.max_payload as u64 {
            return Err(FrameError::PayloadTooLarge {
                len: payload_len,
                max: self.limits.max_payload,
            });
        }
        Ok(Some((header, payload_len as usize)))
    }
}

impl FrameCodec {
    /// Whether the codec is between frames: the next bytes are a length prefix.
    pub fn at_head(&self) -> bool {
        matches!(self.state, State::Head)
    }

    /// Decodes only the next frame's header (between frames; see [`at_head`](Self::at_head))
    /// and returns it with the payload's length. The payload is then the caller's: either
    /// [`expect_payload`](Self::expect_payload) hands it back to [`Decoder::decode`], or the
    /// caller takes exactly that many bytes itself (from `src`, then the stream), as a door
    /// that streams a large payload to storage instead of buffering it whole.
    pub fn decode_header(
        &mut self,
        src: &mut BytesMut,
    ) -> Result<Option<(Header, usize)>, FrameError> {
        debug_assert!(self.at_head(), "decode_header inside a frame");
        self.decode_head(src)
    }

    /// After [`decode_header`](Self::decode_header): the next [`Decoder::decode`] completes
    /// this frame with its `len` payload bytes, as if it had decoded the header itself.
    pub fn expect_payload(&mut self, header: Header, len: usize) {
        self.state = State::Data(header, len);
    }
}

impl Decoder for FrameCodec {
    type Item = Frame;
    type Error = FrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, FrameError> {
        let (header, n) = match std::mem::replace(&mut self.state, State::Head) {
            State::Head => match self.decode_head(src)? {
                Some(head) => head,
                None => return Ok(None),
            },
            State::Data(header, n) => (header, n),
        };
        if src.len() < n {
            src.reserve(n - src.len());
            self.state = State::Data(header, n);
            return Ok(None);
        }
        let payload = src.split_to(n).freeze();
        Ok(Some(Frame { header, payload }))
    }
}

impl Encoder<Frame> for FrameCodec {
    type Error = FrameError;

    fn encode(&mut self, frame: Frame, dst: &mut BytesMut) -> Result<(), FrameError> {
        encode_frame(&frame.header, &frame.payload, dst)
    }
}

/// Appends one frame to `dst`. `"len"` is written last into the header when the payload is not
/// empty, so test vectors are stable; a `"len"` already in `header` is replaced.
pub fn encode_frame(header: &Header, payload: &[u8], dst: &mut BytesMut) -> Result<(), FrameError> {
    encode_head(header, payload.len(), dst)?;
    dst.extend_from_slice(payload);
    Ok(())
}

/// Appends the length prefix and header of a frame whose `payload_len` payload bytes the caller
/// sends right after (as they are: a sender of big payloads writes them from their own buffer,
/// without copying them in here). [`encode_frame`] is this plus the payload.
pub fn encode_head(
    header: &Header,
    payload_len: usize,
    dst: &mut BytesMut,
) -> Result<(), FrameError> {
    if payload_len > MAX_PAYLOAD_LEN {
        return Err(FrameError::PayloadTooLarge {
            len: payload_len as u64,
            max: MAX_PAYLOAD_LEN,
        });
    }
    let start = dst.len();
    dst.put_u32(0);
    {
        let mut w = dst.writer();
        let mut ser = serde_json::Serializer::new(&mut w);
        use serde::ser::{SerializeMap, Serializer};
        let extra = usize::from(payload_len > 0);
        let len = header.len() - usize::from(header.contains_key("len")) + extra;
        let mut map = ser.serialize_map(Some(len)).map_err(json_io)?;
        for (k, v) in header {
            if k != "len" {
                map.serialize_entry(k, v).map_err(json_io)?;
            }
        }
        if payload_len > 0 {
            map.serialize_entry("len", &payload_len).map_err(json_io)?;
        }
        map.end().map_err(json_io)?;
    }
    let header_len = dst.len() - start - LEN_PREFIX;
    if header_len > MAX_HEADER_LEN {
        dst.truncate(start);
        return Err(FrameError::HeaderTooLarge {
            len: header_len,
            max: MAX_HEADER_LEN,
        });
    }
    dst[start..start + LEN_PREFIX].copy_from_slice(&(header_len as u32).to_be_bytes());
    Ok(())
}

fn json_io(e: serde_json::Error) -> FrameError {
    FrameError::Io(std::io::Error::other(e))
}

/// CRC-32C (Castagnoli) of a chunk payload, as carried in `"crc32c"` header fields.
pub fn chunk_crc(payload: &[u8]) -> u32 {
    crc32c::crc32c(payload)
}
