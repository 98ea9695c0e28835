//! The one place core results and errors become response frames on the TCP door.

use ferry_core::Error;
use ferry_proto::{Frame, error_header, ok_header};
use serde::Serialize;

/// An `ok` frame carrying `body`'s fields.
pub fn ok<T: Serialize>(body: &T) -> Frame {
    Frame::new(ok_header(body))
}

/// An `ok` frame with no fields.
pub fn ok_empty() -> Frame {
    Frame::new(ok_header(&serde_json::json!({})))
}

/// The error frame for a core error. Internal causes are logged here and never sent.
pub fn error(e: &Error) -> Frame {
    if let Error::Internal(source) = e {
        tracing::error!(error = %source, "internal error");
    }
    Frame::new(error_header(e.code(), &e.to_string(), e.details()))
}

/// An error frame for a code outside `core::Error` (framing, request syntax, limits).
pub fn error_code(code: &str, message: &str) -> Frame {
    Frame::new(error_header(code, message, None))
}
