//! The default answer: the command's whole (capped) output and exit, as one JSON object.

use ferry_core::{ExecEvent, ExecExit, ExecRun, ExecStream};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Encoding, b64};

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

/// Waits for the end, keeping the (capped) output.
pub(super) async fn collect(mut run: ExecRun) -> ExecResult {
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
