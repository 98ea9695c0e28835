//! The `Accept: application/x-ndjson` answer: one JSON event per line, sent as the command
//! produces output, ending with its exit.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use ferry_core::{ExecEvent, ExecExit, ExecRun, ExecStream};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Encoding, NDJSON, b64};

/// One line of an `application/x-ndjson` response. Output events come in the order the
/// command wrote them; `exit` (or, if the server failed, `error`) is always the last line.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExecStreamEvent {
    /// A piece of stdout.
    Stdout {
        /// The bytes, encoded as `encoding` says.
        data: String,
        /// `utf-8` or `base64`, for this piece only.
        encoding: Encoding,
    },
    /// A piece of stderr.
    Stderr {
        /// The bytes, encoded as `encoding` says.
        data: String,
        /// `utf-8` or `base64`, for this piece only.
        encoding: Encoding,
    },
    /// The command ended: `{"type":"exit","exit":{…}}`, the same `exit` object as the
    /// whole-result answer and the TCP door's final frame.
    Exit {
        /// How it ended.
        exit: ExecExit,
    },
    /// The server failed while the command ran; details are in its log.
    Error {
        /// Stable code (`internal`).
        code: String,
    },
}

/// The NDJSON body: a line per event, produced as the run yields them.
pub(super) fn streamed(run: ExecRun) -> Response {
    let state = Some((run, Utf8Pieces::default(), Utf8Pieces::default()));
    let lines = futures::stream::unfold(state, |state| async move {
        let (mut run, mut out, mut err) = state?;
        let mut events = Vec::new();
        let done = match run.next().await {
            Some(ExecEvent::Output(stream, bytes)) => {
                let pieces = match stream {
                    ExecStream::Stdout => &mut out,
                    ExecStream::Stderr => &mut err,
                };
                if let Some((data, encoding)) = pieces.push(&bytes) {
                    events.push(output_event(stream, data, encoding));
                }
                false
            }
            Some(ExecEvent::Exit(exit)) => {
                for (stream, pieces) in [(ExecStream::Stdout, out), (ExecStream::Stderr, err)] {
                    if let Some(data) = pieces.rest() {
                        events.push(output_event(stream, data, Encoding::Base64));
                    }
                }
                events.push(ExecStreamEvent::Exit { exit });
                return Some((Ok(lines_of(&events)), None));
            }
            None => {
                tracing::error!("exec ended without an exit");
                events.push(ExecStreamEvent::Error {
                    code: "internal".into(),
                });
                true
            }
        };
        let next = (!done).then_some((run, out, err));
        Some((Ok::<_, Infallible>(lines_of(&events)), next))
    });
    let mut resp = Response::new(Body::from_stream(lines));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(NDJSON));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn output_event(stream: ExecStream, data: String, encoding: Encoding) -> ExecStreamEvent {
    match stream {
        ExecStream::Stdout => ExecStreamEvent::Stdout { data, encoding },
        ExecStream::Stderr => ExecStreamEvent::Stderr { data, encoding },
    }
}

fn lines_of(events: &[ExecStreamEvent]) -> Bytes {
    let mut out = Vec::new();
    for event in events {
        // Serialising these plain structs cannot fail.
        if serde_json::to_writer(&mut out, event).is_ok() {
            out.push(b'\n');
        }
    }
    Bytes::from(out)
}

/// Turns one stream's output pieces into strings. A UTF-8 character cut between two pieces
/// is held back (at most 3 bytes) and sent with the next piece, so text stays text; bytes
/// that are not UTF-8 go out as base64.
#[derive(Debug, Default)]
struct Utf8Pieces {
    held: Vec<u8>,
}

impl Utf8Pieces {
    /// The string for this piece (with any held bytes in front), or `None` when everything is
    /// held for now.
    fn push(&mut self, bytes: &[u8]) -> Option<(String, Encoding)> {
        let mut all = std::mem::take(&mut self.held);
        all.extend_from_slice(bytes);
        match std::str::from_utf8(&all) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() && all.len() - e.valid_up_to() < 4 => {
                self.held = all.split_off(e.valid_up_to());
            }
            Err(_) => return Some((b64(&all), Encoding::Base64)),
        }
        match String::from_utf8(all) {
            Ok(s) if s.is_empty() => None,
            Ok(s) => Some((s, Encoding::Utf8)),
            Err(e) => Some((b64(e.as_bytes()), Encoding::Base64)),
        }
    }

    /// Bytes still held at the end (an incomplete character), as base64.
    fn rest(self) -> Option<String> {
        (!self.held.is_empty()).then(|| b64(&self.held))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_cut_between_pieces_stays_text() {
        let mut p = Utf8Pieces::default();
        let e = "é".as_bytes();
        assert_eq!(
            p.push(&[b'a', e[0]]),
            Some(("a".to_string(), Encoding::Utf8))
        );
        assert_eq!(
            p.push(&[e[1], b'b']),
            Some(("éb".to_string(), Encoding::Utf8))
        );
        assert_eq!(p.rest(), None);
    }

    #[test]
    fn bytes_that_are_not_utf8_go_out_as_base64() {
        let mut p = Utf8Pieces::default();
        assert_eq!(
            p.push(b"\xff\xfe"),
            Some(("//4=".to_string(), Encoding::Base64))
        );
        let mut q = Utf8Pieces::default();
        assert_eq!(q.push(&[0xc3]), None);
        assert_eq!(q.rest(), Some("ww==".to_string()));
    }
}
