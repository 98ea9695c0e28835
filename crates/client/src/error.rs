//! [`ClientError`]: why a client operation failed, with a stable code like the server's.

use serde_json::{Map, Value};

/// Why a client operation failed.
///
/// [`ClientError::code`] passes the server's codes through unchanged and adds local ones, so a
/// script sees `already_exists` whether the server or the client noticed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error response.
    #[error("{message}")]
    Server {
        /// The server's stable code (`not_found`, `offset_mismatch`, …).
        code: String,
        /// The server's human message.
        message: String,
        /// Detail fields beside code and message (`offset`, `retry_after`, …).
        fields: Map<String, Value>,
    },
    /// A check made on this side failed with a domain error (bad path, failed SCRAM proof).
    #[error(transparent)]
    Local(#[from] ferry_core::Error),
    /// The TCP connection could not be opened.
    #[error("cannot connect to {addr}")]
    ConnectFailed {
        /// The address tried.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The TLS handshake failed: the certificate does not match the name, is expired, is not
    /// trusted or not the pinned one, or the server does not speak TLS on that port.
    #[error("{0}")]
    Tls(String),
    /// The connection broke or was closed by the server mid-conversation.
    #[error("connection lost")]
    ConnectionLost(#[source] Option<std::io::Error>),
    /// The server did not answer in time.
    #[error("the server did not answer within {0} s")]
    Timeout(u64),
    /// The server sent something this client cannot make sense of.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// A local file operation failed.
    #[error("{context}")]
    Io {
        /// What was being done, naming the local path.
        context: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The local target exists and replacing it was not allowed.
    #[error("{0} exists; refusing to replace it (use --overwrite)")]
    LocalExists(String),
    /// A downloaded chunk does not match its CRC-32C.
    #[error("corrupted data at offset {offset} (CRC-32C mismatch)")]
    ChunkCorrupt {
        /// Where the chunk starts in the file.
        offset: u64,
    },
    /// Downloaded bytes do not match the server's MD5.
    #[error("MD5 mismatch for {path}: expected {expected}, got {actual}")]
    ChecksumMismatch {
        /// The local file concerned.
        path: String,
        /// What the server announced.
        expected: String,
        /// What arrived.
        actual: String,
    },
    /// A remote command ran but did not exit with 0; `status` is the shell-style exit status
    /// (the code, 128 + signal, or 124 on timeout).
    #[error("the remote command {how}")]
    CommandFailed {
        /// Exit status for the local process.
        status: u8,
        /// How it ended, for people.
        how: String,
    },
    /// A request this client refuses to make (wrong kind of entry, nothing to name a file by…).
    #[error("{message}")]
    Refused {
        /// Stable code, as the server would use it where it has one.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl ClientError {
    /// Stable snake_case code: the server's own for server errors, else a local one.
    pub fn code(&self) -> &str {
        match self {
            ClientError::Server { code, .. } => code,
            ClientError::Local(e) => e.code(),
            ClientError::ConnectFailed { .. } => "connect_failed",
            ClientError::Tls(_) => "tls_error",
            ClientError::ConnectionLost(_) => "connection_lost",
            ClientError::Timeout(_) => "timeout",
            ClientError::Protocol(_) => "protocol_error",
            ClientError::Io { .. } => "io_error",
            ClientError::LocalExists(_) => "local_exists",
            ClientError::ChunkCorrupt { .. } => "chunk_checksum_mismatch",
            ClientError::ChecksumMismatch { .. } => "checksum_mismatch",
            ClientError::CommandFailed { .. } => "command_failed",
            ClientError::Refused { code, .. } => code,
        }
    }

    /// Whether a fresh connection may get further: the network failed, or the server asked to
    /// come back later. Local and request errors are not retried.
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::ConnectFailed { .. }
            | ClientError::ConnectionLost(_)
            | ClientError::Timeout(_)
            | ClientError::ChunkCorrupt { .. } => true,
            // `timeout` and `shutting_down` come just before the server closes the connection.
            ClientError::Server { code, .. } => matches!(
                code.as_str(),
                "upload_busy" | "limit_reached" | "internal" | "timeout" | "shutting_down"
            ),
            _ => false,
        }
    }

    /// A numeric detail field of a server error (`offset`, `retry_after`, …).
    pub fn detail_u64(&self, name: &str) -> Option<u64> {
        match self {
            ClientError::Server { fields, .. } => fields.get(name).and_then(Value::as_u64),
            _ => None,
        }
    }

    /// Builds a local I/O error naming what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        ClientError::Io {
            context: context.into(),
            source,
        }
    }

    /// Builds a protocol error.
    pub(crate) fn protocol(what: impl Into<String>) -> Self {
        ClientError::Protocol(what.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_codes_pass_through_and_local_codes_are_stable() {
        let e = ClientError::Server {
            code: "offset_mismatch".into(),
            message: "wrong offset".into(),
            fields: serde_json::json!({"offset": 5})
                .as_object()
                .cloned()
                .unwrap(),
        };
        assert_eq!(e.code(), "offset_mismatch");
        assert_eq!(e.detail_u64("offset"), Some(5));
        assert_eq!(ClientError::LocalExists("a".into()).code(), "local_exists");
        assert_eq!(ClientError::ConnectionLost(None).code(), "connection_lost");
        assert!(ClientError::ConnectionLost(None).is_retryable());
        assert!(!ClientError::LocalExists("a".into()).is_retryable());
    }
}
