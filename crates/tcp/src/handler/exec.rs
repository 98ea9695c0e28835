//! `exec` on the TCP door: the command's output streamed as `exec_output` frames while it runs,
//! then one `ok` frame with how it ended.
//!
//! The connection is read while the command runs, so a client that goes away is noticed at
//! once: the [`ExecRun`] is dropped and the core kills the command's process group.

use std::time::{Duration, Instant};

use bytes::Bytes;
use ferry_core::{Error, ExecCommand, ExecEvent, ExecRequest, ExecRun, ExecStream, Session};
use ferry_proto::{Frame, error_header};
use serde_json::{Value, json};

use super::{End, Handler, as_map};
use crate::connection::ReadError;
use crate::reply;

/// Largest payload of one `exec_output` frame; bigger output pieces are split.
pub const MAX_EXEC_CHUNK: usize = 64 * 1024;

/// The arguments of one `exec` request, as they came off the wire.
#[derive(Debug)]
pub(super) struct ExecArgs {
    pub id: u64,
    pub argv: Option<Vec<String>>,
    pub command: Option<String>,
    pub timeout_secs: Option<u64>,
}

impl ExecArgs {
    /// The core request: exactly one of `argv` and `command`, run in the current folder.
    fn into_request(self) -> Result<ExecRequest, Error> {
        let command = match (self.argv, self.command) {
            (Some(argv), None) => ExecCommand::Argv(argv),
            (None, Some(command)) => ExecCommand::Shell(command),
            _ => {
                return Err(Error::BadRequest(
                    "exec takes exactly one of \"argv\" and \"command\"".into(),
                ));
            }
        };
        Ok(ExecRequest {
            command,
            cwd: None,
            timeout: self.timeout_secs.map(Duration::from_secs),
        })
    }
}

/// What ended the wait for the next event.
enum Step {
    Event(Option<ExecEvent>),
    ClientGone,
    Shutdown,
}

impl Handler {
    /// Runs one `exec` request to its final frame. `Err` ends the connection (dropping the
    /// run, which kills the command).
    pub(super) async fn exec(&mut self, session: &Session, args: ExecArgs) -> Result<(), End> {
        let id = args.id;
        let started = Instant::now();
        let mut run = match args.into_request() {
            Ok(request) => match session.exec(request).await {
                Ok(run) => run,
                Err(e) => return self.send(error_with_id(&e, id)).await,
            },
            Err(e) => return self.send(error_with_id(&e, id)).await,
        };
        loop {
            let event = match self.next_event(&mut run).await {
                Step::Event(event) => event,
                Step::ClientGone => {
                    tracing::info!(user = %session.user(), id, "exec: client gone, command killed");
                    return Err(End::ClientClosed);
                }
                Step::Shutdown => {
                    drop(run);
                    let _ = self
                        .conn
                        .send(reply::error_code(
                            "shutting_down",
                            "the server is shutting down",
                        ))
                        .await;
                    return Err(End::Shutdown);
                }
            };
            match event {
                Some(ExecEvent::Output(stream, bytes)) => {
                    for frame in output_frames(id, stream, bytes) {
                        self.send(frame).await?;
                    }
                }
                Some(ExecEvent::Exit(exit)) => {
                    tracing::info!(
                        user = %session.user(),
                        id,
                        code = ?exit.code,
                        signal = ?exit.signal,
                        timed_out = exit.timed_out,
                        duration_ms = started.elapsed().as_millis() as u64,
                        "exec"
                    );
                    return self
                        .send(reply::ok(&json!({ "id": id, "exit": exit })))
                        .await;
                }
                None => {
                    let e = Error::Internal("exec ended without an exit".into());
                    return self.send(error_with_id(&e, id)).await;
                }
            }
        }
    }

    /// The run's next event, watching the socket meanwhile: the end of the stream means the
    /// client left. A request pipelined behind `exec` is kept for after it (as during
    /// uploads); once one is held, the socket is no longer read until the command ends.
    async fn next_event(&mut self, run: &mut ExecRun) -> Step {
        // A command may stay silent for as long as its own time limit: the idle deadline is
        // for clients that send nothing, not for one waiting on its command.
        let watch = Duration::from_secs(3600);
        loop {
            tokio::select! {
                biased;
                _ = self.shutdown.cancelled() => return Step::Shutdown,
                event = run.next() => return Step::Event(event),
                read = self.conn.read_frame(watch), if self.prefetched.is_none() => match read {
                    Ok(None) | Err(ReadError::Frame(ferry_proto::FrameError::Io(_))) => {
                        return Step::ClientGone;
                    }
                    Err(ReadError::Idle) => {}
                    other => self.prefetched = Some(other),
                },
            }
        }
    }
}

/// `exec_output` frames for one piece of output, each payload at most [`MAX_EXEC_CHUNK`].
pub fn output_frames(id: u64, stream: ExecStream, bytes: Bytes) -> Vec<Frame> {
    let mut frames = Vec::with_capacity(bytes.len().div_ceil(MAX_EXEC_CHUNK));
    let mut rest = bytes;
    while !rest.is_empty() {
        let piece = rest.split_to(rest.len().min(MAX_EXEC_CHUNK));
        let header = json!({ "status": "exec_output", "id": id, "stream": stream });
        frames.push(Frame::with_payload(as_map(header), piece));
    }
    frames
}

/// The error frame for a failed `exec`, carrying the request's `id` like its other frames.
fn error_with_id(e: &Error, id: u64) -> Frame {
    if let Error::Internal(source) = e {
        tracing::error!(error = %source, "internal error");
    }
    let mut extra = e.details().unwrap_or_default();
    extra.insert("id".into(), Value::from(id));
    Frame::new(error_header(e.code(), &e.to_string(), Some(extra)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_split_into_bounded_frames_in_order() {
        let data: Vec<u8> = (0..MAX_EXEC_CHUNK * 2 + 10).map(|i| i as u8).collect();
        let frames = output_frames(7, ExecStream::Stderr, Bytes::from(data.clone()));
        assert_eq!(frames.len(), 3);
        let mut joined = Vec::new();
        for f in &frames {
            assert!(f.payload.len() <= MAX_EXEC_CHUNK);
            assert_eq!(f.header["status"], "exec_output");
            assert_eq!(f.header["stream"], "stderr");
            assert_eq!(f.header["id"], 7);
            joined.extend_from_slice(&f.payload);
        }
        assert_eq!(joined, data);
        assert!(output_frames(1, ExecStream::Stdout, Bytes::new()).is_empty());
    }

    #[test]
    fn exec_needs_exactly_one_of_argv_and_command() {
        let args = |argv: Option<Vec<String>>, command: Option<String>| ExecArgs {
            id: 1,
            argv,
            command,
            timeout_secs: None,
        };
        let both = args(Some(vec!["true".into()]), Some("true".into()));
        assert_eq!(both.into_request().unwrap_err().code(), "bad_request");
        assert_eq!(
            args(None, None).into_request().unwrap_err().code(),
            "bad_request"
        );
        let ok = args(Some(vec!["a;b".into()]), None).into_request().unwrap();
        assert_eq!(ok.command, ExecCommand::Argv(vec!["a;b".into()]));
    }
}
