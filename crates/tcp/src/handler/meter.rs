//! The door's request metrics: `ferry_requests_total{door="tcp", op, code}` and
//! `ferry_request_duration_seconds{door="tcp", op}`.
//!
//! A request is a frame the client sent; its answer is every frame sent until the door waits
//! for the next one (one `ok`, a download's data and end frames, a command's output) or the
//! connection ends. Its `code` is that of the first error frame among them, or `ok`. The login exchange
//! counts too (`hello`, `auth_start`, `auth_finish`), as `POST /api/v1/login` does on HTTP.
//! `op` is the operation's wire name, or `unknown` for a name the protocol does not have.

use std::time::Instant;

use ferry_metrics::catalog::{REQUEST_DURATION, REQUESTS};
use ferry_metrics::metrics::{self, SharedString};
use ferry_proto::{Frame, Header, Op};

/// The request being answered, if metrics are on.
#[derive(Debug, Default)]
pub(super) struct Meter {
    current: Option<Current>,
}

#[derive(Debug)]
struct Current {
    op: &'static str,
    started: Instant,
    /// The code of the first error frame sent in answer.
    code: Option<String>,
}

impl Meter {
    /// A frame with `header` arrived: its request starts.
    pub(super) fn begin(&mut self, header: &Header) {
        if !ferry_metrics::enabled() {
            return;
        }
        self.end();
        self.current = Some(Current {
            op: op_label(header),
            started: Instant::now(),
            code: None,
        });
    }

    /// `frame` goes out in answer to the current request.
    pub(super) fn sent(&mut self, frame: &Frame) {
        if let Some(current) = &mut self.current
            && current.code.is_none()
            && let Some(code) = error_code(&frame.header)
        {
            current.code = Some(code.to_owned());
        }
    }

    /// The current request is answered: the door waits for the next frame, or the connection
    /// ends.
    pub(super) fn end(&mut self) {
        let Some(Current { op, started, code }) = self.current.take() else {
            return;
        };
        // An owned label only for an error, whose code is one the server wrote itself.
        let code: SharedString = code.map_or(SharedString::const_str("ok"), Into::into);
        metrics::counter!(REQUESTS, "door" => "tcp", "op" => op, "code" => code).increment(1);
        metrics::histogram!(REQUEST_DURATION, "door" => "tcp", "op" => op)
            .record(started.elapsed().as_secs_f64());
    }
}

/// The operation's wire name as a label: one of the protocol's names, never the client's text.
fn op_label(header: &Header) -> &'static str {
    let name = header.get("op").and_then(|v| v.as_str());
    Op::ALL
        .iter()
        .map(|op| op.as_str())
        .find(|known| Some(*known) == name)
        .unwrap_or("unknown")
}

/// The `code` of an error frame; `None` for any other frame.
fn error_code(header: &Header) -> Option<&str> {
    if header.get("status")?.as_str()? != "error" {
        return None;
    }
    header.get("code")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn header(v: serde_json::Value) -> Header {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn an_unknown_op_is_one_label_not_the_clients_text() {
        assert_eq!(
            op_label(&header(json!({"op": "upload_write"}))),
            "upload_write"
        );
        assert_eq!(op_label(&header(json!({"op": "drop table"}))), "unknown");
        assert_eq!(op_label(&header(json!({}))), "unknown");
    }

    #[test]
    fn only_error_frames_have_a_code() {
        let err = header(json!({"status": "error", "code": "not_found", "message": "x"}));
        assert_eq!(error_code(&err), Some("not_found"));
        assert_eq!(
            error_code(&header(json!({"status": "ok", "code": "x"}))),
            None
        );
    }
}
