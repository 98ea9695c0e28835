//! Typed messages carried in frame headers.
//!
//! A request header is a JSON object whose `"op"` ([`Op`]) names the operation; the other
//! fields are its arguments ([`Request`]). A response header carries `"status"` ([`Status`]):
//! `"ok"` with the operation's result fields, `"error"` with a stable `"code"` and a human
//! `"message"` ([`ErrorReply`]), or, while a download streams, `"data"` (one chunk in the
//! payload) and `"end"`; while a command runs, `"exec_output"`. Each has its own type
//! implementing [`Reply`]. See `docs/PROTOCOL.md` for every message.
//!
//! - [`op`]: operation names, each written once;
//! - [`request`]: [`Request`], decoded by servers and built by clients;
//! - [`reply`]: the reply types, built by servers;
//! - [`response`]: [`Response`], a received header that clients turn into a reply type.

pub mod op;
pub mod reply;
pub mod request;
pub mod response;

pub use op::Op;
pub use reply::{
    AuthFinishReply, AuthStartReply, CwdReply, DownloadData, DownloadEnd, DownloadHead, EmptyReply,
    EntryReply, ErrorReply, ExecOutput, ExecReply, HelloReply, OffsetReply, Reply, ShareReply,
    SharesReply, Status, UploadReply, UploadsReply, error_header, ok_header,
};
pub use request::{Request, RequestError};
pub use response::{ReplyError, Response};

/// The protocol version this build speaks. A `hello` with any other version is refused with
/// `unsupported_version`.
pub const PROTOCOL_VERSION: u32 = 1;

/// The one SASL mechanism (defined with the login code in the core).
pub use ferry_core::auth::MECHANISM;
