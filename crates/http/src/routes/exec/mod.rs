//! `POST /api/v1/exec`: a command under the user's exec policy, answered as one JSON result
//! or, with `Accept: application/x-ndjson`, streamed as one JSON event per line.
//!
//! Output is bytes, not text: a piece that is valid UTF-8 travels as a string, anything else
//! as base64 with `"encoding":"base64"`, so nothing is ever mangled. When the client goes away
//! the response (or its body stream) is dropped, which drops the core's run and kills the
//! command.
//!
//! - `whole`: the default answer, [`ExecResult`];
//! - `stream`: the NDJSON answer, one [`ExecStreamEvent`] per line.

mod stream;
mod whole;

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use ferry_core::{ExecCommand, ExecRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api_doc::{ExecErrors, tags::EXEC};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::extract::ApiJson;

pub use stream::ExecStreamEvent;
pub use whole::ExecResult;

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
    post, path = "/api/v1/exec", operation_id = "exec_command", tag = EXEC,
    request_body = ExecBody,
    params(
        ("Accept" = Option<String>, Header, description = "`application/x-ndjson` to stream events as they happen"),
    ),
    responses(
        (status = 200, description = "The command ran (whatever its exit status)", content(
            (ExecResult = "application/json"),
            (ExecStreamEvent = "application/x-ndjson"),
        )),
        ExecErrors,
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
        Ok(stream::streamed(run))
    } else {
        Ok(Json(whole::collect(run).await).into_response())
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

/// Standard base64, for output that is not UTF-8.
fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

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
