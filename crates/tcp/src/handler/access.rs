//! The access line of one TCP operation, on the `ferry::access` target at `info` like the HTTP
//! door's (`--no-access-log` turns both off): the operation, its result (`ok` or the error
//! code sent), the request's payload bytes and how long it took. The connection's span adds
//! the door, the source and the user.

use std::time::Instant;

use super::End;

/// The target of access lines.
const TARGET: &str = "ferry::access";

/// Logs one operation's line. `code` is the error code of its last answer, if any; `end` is
/// how the connection ended if the operation ended it.
pub(super) fn line(
    op: &str,
    code: Option<&str>,
    end: Option<&End>,
    bytes_in: usize,
    started: Instant,
) {
    let result = match (code, end) {
        (Some(code), _) => code,
        (None, Some(End::Bye) | None) => "ok",
        (None, Some(_)) => "connection_ended",
    };
    tracing::info!(
        target: TARGET,
        op,
        result,
        bytes_in = bytes_in as u64,
        duration_ms = started.elapsed().as_millis() as u64,
        "access"
    );
}

/// A request's `op` as the line names it: only a short name of the protocol's shape; any
/// other text a client sent is not logged.
pub(super) fn op_name(header: &ferry_proto::Header) -> String {
    let op = header.get("op").and_then(|o| o.as_str()).unwrap_or("");
    let plain = op.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if !op.is_empty() && op.len() <= 32 && plain {
        op.to_string()
    } else {
        "unknown".to_string()
    }
}
