//! [`Client::exec`]: run a command on the server and receive its output as it is produced.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use ferry_core::{ExecCommand, ExecExit, ExecStream};
use ferry_proto::message::{ExecOutput, ExecReply, Request, Status};

use super::{Client, ClientError, reply, server_error};

/// How long to wait for the next frame of a command run without `timeout`: the server applies
/// its own limit, this only guards against a server that stopped answering.
const UNBOUNDED_WAIT: Duration = Duration::from_secs(3600);

/// Request ids; only unique within a connection matters, a process-wide counter is simplest.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Client {
    /// Runs `command` in the current remote folder and hands each piece of output to `sink`
    /// as it arrives; returns how the command ended. `timeout` asks for a wall-clock limit
    /// (the server caps it); `None` takes the server's default.
    ///
    /// A `sink` error stops reading and is returned; the caller then drops the connection,
    /// which kills the command on the server.
    pub async fn exec(
        &mut self,
        command: ExecCommand,
        timeout: Option<Duration>,
        mut sink: impl FnMut(ExecStream, &[u8]) -> std::io::Result<()>,
    ) -> Result<ExecExit, ClientError> {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let (argv, command) = match command {
            ExecCommand::Argv(argv) => (Some(argv), None),
            ExecCommand::Shell(command) => (None, Some(command)),
        };
        let request = Request::Exec {
            id,
            argv,
            command,
            timeout_secs: timeout.map(|t| t.as_secs().max(1)),
        };
        self.conn().send(request.into_frame(Bytes::new())).await?;
        let wait = timeout.unwrap_or(UNBOUNDED_WAIT) + self.timeout;
        let echoes = |echoed: u64| {
            if echoed == id {
                Ok(())
            } else {
                Err(ClientError::protocol(format!(
                    "an exec answer for id {echoed}, expected {id}"
                )))
            }
        };
        loop {
            let (response, payload) = self.conn().recv_within(wait).await?;
            match response.status {
                Status::ExecOutput => {
                    let output: ExecOutput = reply(response)?;
                    echoes(output.id)?;
                    sink(output.stream, &payload)
                        .map_err(|e| ClientError::io("cannot write the command's output", e))?;
                }
                Status::Ok => {
                    let done: ExecReply = reply(response)?;
                    echoes(done.id)?;
                    return Ok(done.exit);
                }
                Status::Error => {
                    let error = server_error(response);
                    // Connection-level errors (`timeout`, `shutting_down`) carry no id.
                    if let Some(echoed) = error.detail_u64("id") {
                        echoes(echoed)?;
                    }
                    return Err(error);
                }
                other => {
                    return Err(ClientError::protocol(format!(
                        "expected exec_output, ok or error, got {other:?}"
                    )));
                }
            }
        }
    }
}
