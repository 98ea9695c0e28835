//! `POST /api/v1/exec`: a command under the user's exec policy, answered as one JSON result
//! or, with `Accept: application/x-ndjson`, streamed as one JSON event per line.
//!
//! Output is bytes, not text: a piece that is valid UTF-8 travels as a string, anything else
//! as base64 with `"encoding":"base64"`, so nothing is ever mangled. When the client goes away
//! the response (or its body stream) is dropped, which drops the core's run and kills the
//! command.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use ferry_core::{ExecCommand, ExecEvent, ExecExit, ExecRequest, ExecRun, ExecStream};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api_doc::{Errors, tags::EXEC};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::extract::ApiJson;

/// The streaming media type: one JSON document per line.
pub const NDJSON: &str = "application/x-ndjson";

/// What to run: exactly one of `argv` and `command` (the schema is a `oneOf`, and a body
/// with both or neither is refused with `400 bad_request`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ExecBody {
    /// A program and its arguments.
    Argv(ArgvBody),
    /// A shell command string.
    Command(CommandBody),
}

/// A program and its arguments, passed as a vector: no shell sees them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArgvBody {
    /// Program (a name on the server's fixed PATH) and arguments.
    #[schema(example = json!(["df", "-h", "."]), min_items = 1)]
    pub argv: Vec<String>,
    /// Working folder inside the home (default: the home).
    #[schema(example = "/photos")]
    pub cwd: Option<String>,
    /// Wall-clock limit in seconds (default: the server's; capped by the user's maximum).
    #[schema(minimum = 1, example = 60)]
    pub timeout_secs: Option<u64>,
}

/// A command string for `sh -c`; only for users with the `shell` exec policy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandBody {
    /// The command line.
    #[schema(example = "du -sh * | sort -h")]
    pub command: String,
    /// Working folder inside the home (default: the home).
    #[schema(example = "/photos")]
    pub cwd: Option<String>,
    /// Wall-clock limit in seconds (default: the server's; capped by the user's maximum).
    #[schema(minimum = 1, example = 60)]
    pub timeout_secs: Option<u64>,
}

impl ExecBody {
    fn into_request(self) -> ExecRequest {
        let (command, cwd, timeout_secs) = match self {
            ExecBody::Argv(b) => (ExecCommand::Argv(b.argv), b.cwd, b.timeout_secs),
            ExecBody::Command(b) => (ExecCommand::Shell(b.command), b.cwd, b.timeout_secs),
        };
        ExecRequest {
            command,
            cwd,
            timeout: timeout_secs.map(Duration::from_secs),
        }
    }
}

/// How the output strings are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum Encoding {
    /// The bytes were valid UTF-8 and are the string itself.
    #[serde(rename = "utf-8")]
    Utf8,
    /// The bytes were not valid UTF-8; the string is their standard base64.
    #[serde(rename = "base64")]
    Base64,
}

/// The whole result of a command (the default response).
#[derive(Debug, Serialize, ToSchema)]
pub struct ExecResult {
    /// Everything the command wrote to stdout (up to the cap), encoded as `encoding` says.
    pub stdout: String,
    /// Everything the command wrote to stderr (up to the cap), encoded as `encoding` says.
    pub stderr: String,
    /// `utf-8` when both streams are valid UTF-8; otherwise `base64`, for both.
    pub encoding: Encoding,
    /// How it ended.
    pub exit: ExecExit,
}

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

/// Run a command under your exec policy and get its output and exit status.
///
/// The policy (set by the administrator) is `off` (the default), an allow-list of programs
/// (`argv` only) or `shell` (`command` strings too). A refused command is `403 exec_denied`
/// and nothing is run. The command runs in its own process group with an empty stdin, a
/// cleared environment, resource limits and a time limit; stdout and stderr are kept apart
/// and each capped (`*_truncated`).
///
/// By default the answer comes when the command has ended, as one JSON object. With
/// `Accept: application/x-ndjson` the output streams as it is produced, one JSON event per
/// line, ending with an `exit` event. Closing the connection early kills the command.
#[utoipa::path(
    post, path = "/api/v1/exec", tag = EXEC,
    request_body = ExecBody,
    params(
        ("Accept" = Option<String>, Header, description = "`application/x-ndjson` to stream events as they happen"),
    ),
    responses(
        (status = 200, description = "The command ran (whatever its exit status)", content(
            (ExecResult = "application/json"),
            (ExecStreamEvent = "application/x-ndjson"),
        )),
        Errors,
    ),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn exec(
    auth: Authed,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ExecBody>,
) -> Result<Response, ApiError> {
    let run = auth.session.exec(body.into_request()).await?;
    if wants_ndjson(&headers) {
        Ok(streamed(run))
    } else {
        Ok(Json(collect(run).await).into_response())
    }
}

fn wants_ndjson(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.split(';').next().unwrap_or("").trim() == NDJSON)
}

/// Waits for the end, keeping the (capped) output.
async fn collect(mut run: ExecRun) -> ExecResult {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let exit = loop {
        match run.next().await {
            Some(ExecEvent::Output(ExecStream::Stdout, b)) => out.extend_from_slice(&b),
            Some(ExecEvent::Output(ExecStream::Stderr, b)) => err.extend_from_slice(&b),
            Some(ExecEvent::Exit(exit)) => break exit,
            None => {
                tracing::error!("exec ended without an exit");
                break ExecExit {
                    code: None,
                    signal: None,
                    timed_out: false,
                    duration_ms: 0,
                    stdout_bytes: out.len() as u64,
                    stderr_bytes: err.len() as u64,
                    stdout_truncated: false,
                    stderr_truncated: false,
                };
            }
        }
    };
    let (stdout, stderr, encoding) = match (String::from_utf8(out), String::from_utf8(err)) {
        (Ok(o), Ok(e)) => (o, e, Encoding::Utf8),
        (o, e) => {
            let bytes = |r: Result<String, std::string::FromUtf8Error>| match r {
                Ok(s) => s.into_bytes(),
                Err(e) => e.into_bytes(),
            };
            (b64(&bytes(o)), b64(&bytes(e)), Encoding::Base64)
        }
    };
    ExecResult {
        stdout,
        stderr,
        encoding,
        exit,
    }
}

/// The NDJSON body: a line per event, produced as the run yields them.
fn streamed(run: ExecRun) -> Response {
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

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
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

    #[test]
    fn ndjson_is_chosen_by_the_accept_header() {
        let accept = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
            wants_ndjson(&h)
        };
        assert!(accept("application/x-ndjson"));
        assert!(accept("application/json, application/x-ndjson;q=0.9"));
        assert!(!accept("application/json"));
        assert!(!wants_ndjson(&HeaderMap::new()));
    }
}
