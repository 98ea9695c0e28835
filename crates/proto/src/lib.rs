//! The wire protocol: framing ([`frame`]) and the messages inside frames ([`message`]).
//!
//! Pure: nothing here touches a socket. `docs/PROTOCOL.md` specifies the same thing byte by
//! byte for implementers in other languages.

pub mod frame;
pub mod message;

pub use frame::{
    Frame, FrameCodec, FrameError, FrameLimits, Header, MAX_HEADER_LEN, MAX_PAYLOAD_LEN, chunk_crc,
    encode_frame, encode_head,
};
pub use message::{
    MECHANISM, PROTOCOL_VERSION, Request, RequestError, Response, Status, error_header, ok_header,
};
