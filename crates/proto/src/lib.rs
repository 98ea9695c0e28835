//! The wire protocol: framing ([`frame`]) and the messages inside frames ([`message`]).
//!
//! Pure: nothing here touches a socket. [`FrameCodec`] turns bytes into [`Frame`]s (a JSON
//! [`Header`] plus a bounded payload); [`Request`] is what a client asks, named by an [`Op`];
//! each kind of answer is a type implementing [`Reply`] (`HelloReply`, `EntryReply`,
//! `DownloadData`, …), and [`Response`] is a received header before it is known which.
//! `docs/PROTOCOL.md` specifies the same thing byte by byte for implementers in other
//! languages.

pub mod frame;
pub mod message;

pub use frame::{
    Frame, FrameCodec, FrameError, FrameLimits, Header, MAX_HEADER_LEN, MAX_PAYLOAD_LEN, chunk_crc,
    encode_frame, encode_head,
};
pub use message::{
    AuthFinishReply, AuthStartReply, CwdReply, DownloadData, DownloadEnd, DownloadHead, EmptyReply,
    EntryReply, ErrorReply, ExecOutput, ExecReply, HelloReply, MECHANISM, OffsetReply, Op,
    PROTOCOL_VERSION, Reply, ReplyError, Request, RequestError, Response, ShareReply, SharesReply,
    Status, UploadReply, UploadsReply, error_header, ok_header,
};
