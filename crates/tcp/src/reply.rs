//! The one place core results and errors become response frames on the TCP door.
//!
//! Results go out as the typed replies of `ferry_proto` (one type per kind of frame); a core
//! error becomes an `error` frame with its stable code, its message and its details, and an
//! internal cause is logged here and never sent.

use bytes::Bytes;
use ferry_core::Error;
use ferry_proto::{EmptyReply, ErrorReply, Frame, Reply, Status};
use serde_json::Value;

/// The `ok` frame of a result.
pub fn ok<R: Reply>(body: &R) -> Frame {
    debug_assert_eq!(R::STATUS, Status::Ok);
    body.to_frame(Bytes::new())
}

/// A frame of any other reply type: download data and end, command output (`payload` holds
/// the bytes; empty for the end of a download).
pub fn frame<R: Reply>(body: &R, payload: Bytes) -> Frame {
    body.to_frame(payload)
}

/// An `ok` frame with no fields.
pub fn ok_empty() -> Frame {
    ok(&EmptyReply {})
}

/// The error frame for a core error.
pub fn error(e: &Error) -> Frame {
    error_reply(e).to_frame(Bytes::new())
}

/// The error frame for a failed `exec`, carrying the request's `id` like its other frames.
pub fn error_with_id(e: &Error, id: u64) -> Frame {
    let mut reply = error_reply(e);
    reply.details.insert("id".into(), Value::from(id));
    reply.to_frame(Bytes::new())
}

/// An error frame for a code outside `core::Error` (framing, request syntax, limits).
pub fn error_code(code: &str, message: &str) -> Frame {
    ErrorReply {
        code: code.into(),
        message: message.into(),
        details: Default::default(),
    }
    .to_frame(Bytes::new())
}

fn error_reply(e: &Error) -> ErrorReply {
    if let Error::Internal(source) = e {
        tracing::error!(error = %source, "internal error");
    }
    ErrorReply {
        code: e.code().into(),
        message: e.to_string(),
        details: e.details().unwrap_or_default(),
    }
}
