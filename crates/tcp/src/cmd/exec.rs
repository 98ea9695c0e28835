//! `exec`: the command's output as `exec_output` frames while it runs, then one `ok` frame with
//! how it ended.
//!
//! The session watches the connection while it waits for [`Running::next`], so a client that
//! goes away is noticed at once: the [`Running`] is dropped and the core kills the command's
//! process group.

use std::time::{Duration, Instant};

use bytes::Bytes;
use ferry_core::{
    Error, ExecCommand, ExecEvent, ExecRequest, ExecRun, ExecStream, Session, Username,
};
use ferry_proto::{ExecOutput, ExecReply, Frame};

use crate::reply;

/// Largest payload of one `exec_output` frame; bigger output pieces are split.
pub const MAX_EXEC_CHUNK: usize = 64 * 1024;

/// The arguments of one `exec` request, as they came off the wire.
#[derive(Debug)]
pub struct ExecArgs {
    /// Client-chosen id, echoed in every frame of the answer.
    pub id: u64,
    /// Program and arguments.
    pub argv: Option<Vec<String>>,
    /// A command line for `sh -c`.
    pub command: Option<String>,
    /// Wall-clock limit asked for.
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

/// A started command.
#[derive(Debug)]
pub struct Running {
    run: ExecRun,
    id: u64,
    user: Username,
    started: Instant,
}

/// The frames for one event of a running command.
#[derive(Debug)]
pub enum Answer {
    /// Output frames; more follow.
    Output(Vec<Frame>),
    /// The final frame of the answer.
    Last(Frame),
}

/// Starts the command; a refusal is the one frame that answers the request.
pub async fn start(session: &Session, args: ExecArgs) -> Result<Running, Frame> {
    let id = args.id;
    let started = Instant::now();
    let run = match args.into_request() {
        Ok(request) => session.exec(request).await,
        Err(e) => Err(e),
    };
    match run {
        Ok(run) => Ok(Running {
            run,
            id,
            user: session.user().clone(),
            started,
        }),
        Err(e) => Err(reply::error_with_id(&e, id)),
    }
}

impl Running {
    /// The command's next event; `None` if it ended without one.
    pub async fn next(&mut self) -> Option<ExecEvent> {
        self.run.next().await
    }

    /// The frames that tell the client about `event`.
    pub fn answer(&self, event: Option<ExecEvent>) -> Answer {
        match event {
            Some(ExecEvent::Output(stream, bytes)) => {
                Answer::Output(output_frames(self.id, stream, bytes))
            }
            Some(ExecEvent::Exit(exit)) => {
                tracing::info!(
                    user = self.user.as_str(),
                    id = self.id,
                    code = ?exit.code,
                    signal = ?exit.signal,
                    timed_out = exit.timed_out,
                    duration_ms = self.started.elapsed().as_millis() as u64,
                    "exec"
                );
                Answer::Last(reply::ok(&ExecReply { id: self.id, exit }))
            }
            None => {
                let e = Error::Internal("exec ended without an exit".into());
                Answer::Last(reply::error_with_id(&e, self.id))
            }
        }
    }

    /// Logs that the client left; dropping `self` then kills the command.
    pub fn client_gone(self) {
        tracing::info!(
            user = self.user.as_str(),
            id = self.id,
            "exec: client gone, command killed"
        );
    }
}

/// `exec_output` frames for one piece of output, each payload at most [`MAX_EXEC_CHUNK`].
pub fn output_frames(id: u64, stream: ExecStream, bytes: Bytes) -> Vec<Frame> {
    let mut frames = Vec::with_capacity(bytes.len().div_ceil(MAX_EXEC_CHUNK));
    let mut rest = bytes;
    let head = ExecOutput { id, stream };
    while !rest.is_empty() {
        let piece = rest.split_to(rest.len().min(MAX_EXEC_CHUNK));
        frames.push(reply::frame(&head, piece));
    }
    frames
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
