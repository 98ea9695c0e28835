//! [`Response`]: a response header as a client receives it, before it is known which
//! [`Reply`] it holds.

use serde::Deserialize;

use super::{ErrorReply, Reply, Status};
use crate::frame::Header;

/// A response header as a client sees it: the status plus everything else.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// `ok`, `error`, `data`, `end` or `exec_output`.
    pub status: Status,
    /// The remaining fields.
    pub fields: Header,
}

/// Why a response header is not the reply expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReplyError {
    /// No `"status"`, or one this build does not know.
    #[error("missing or unknown \"status\"")]
    NoStatus,
    /// A frame of another kind than the one due.
    #[error("expected a {expected:?} frame, got {got:?}")]
    WrongStatus {
        /// The status the reply type carries.
        expected: Status,
        /// The status that came.
        got: Status,
    },
    /// Fields missing or of the wrong type.
    #[error("invalid fields: {0}")]
    BadFields(String),
}

impl Response {
    /// Splits a decoded header into status and fields.
    pub fn from_header(mut header: Header) -> Result<Response, ReplyError> {
        let status = header
            .remove("status")
            .and_then(|v| Status::deserialize(v).ok())
            .ok_or(ReplyError::NoStatus)?;
        Ok(Response {
            status,
            fields: header,
        })
    }

    /// The fields as the reply type `R`, if the status is `R`'s. Unknown fields are ignored,
    /// so that servers can add some.
    pub fn reply<R: Reply>(&self) -> Result<R, ReplyError> {
        if self.status != R::STATUS {
            return Err(ReplyError::WrongStatus {
                expected: R::STATUS,
                got: self.status,
            });
        }
        R::deserialize(&self.fields).map_err(|e| ReplyError::BadFields(e.to_string()))
    }

    /// `code` and `message` of an error response.
    pub fn error(&self) -> Option<(&str, &str)> {
        if self.status != Status::Error {
            return None;
        }
        let code = self.fields.get("code")?.as_str()?;
        let message = self
            .fields
            .get("message")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("");
        Some((code, message))
    }

    /// An error response as an [`ErrorReply`].
    pub fn error_reply(&self) -> Result<ErrorReply, ReplyError> {
        self.reply()
    }
}
