//! `ferry exec` and the shell's `exec` / `!`: a remote command's output copied to the local
//! stdout and stderr as it arrives, and its ending turned into a shell-style exit status.

use std::io::Write;
use std::time::Duration;

use ferry_core::{ExecCommand, ExecExit, ExecStream};

use ferry_client::{Client, ClientError};

/// Exit status when the command ran past its time limit (as `timeout(1)`).
pub const STATUS_TIMED_OUT: u8 = 124;
/// Exit status when Ferry itself failed: connection, login, a bad request.
pub const STATUS_FERRY_FAILED: u8 = 125;
/// Exit status when the exec policy refused the command (`exec_denied`).
pub const STATUS_DENIED: u8 = 126;
/// Exit status when the program does not exist on the server (`exec_not_found`).
pub const STATUS_NOT_FOUND: u8 = 127;

/// Runs the command, streaming its output. A command that did not exit with 0 gives
/// [`ClientError::CommandFailed`] carrying the exit status to use.
pub async fn run(
    client: &mut Client,
    timeout: Option<u64>,
    sh: Option<String>,
    argv: Vec<String>,
) -> Result<(), ClientError> {
    let command = match sh {
        Some(line) => ExecCommand::Shell(line),
        None if argv.is_empty() => {
            return Err(ClientError::Refused {
                code: "bad_request",
                message: "no command given: ferry exec -- CMD ARGS… or ferry exec --sh 'LINE'"
                    .into(),
            });
        }
        None => ExecCommand::Argv(argv),
    };
    let exit = client
        .exec(command, timeout.map(Duration::from_secs), write_local)
        .await?;
    match exit_status(&exit) {
        0 => Ok(()),
        status => Err(ClientError::CommandFailed {
            status,
            how: describe(&exit),
        }),
    }
}

/// Copies one piece of output to the matching local stream at once, so that it shows (and
/// interleaves) as the command produces it.
fn write_local(stream: ExecStream, bytes: &[u8]) -> std::io::Result<()> {
    match stream {
        ExecStream::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()
        }
        ExecStream::Stderr => {
            let mut err = std::io::stderr().lock();
            err.write_all(bytes)?;
            err.flush()
        }
    }
}

/// The exit status a shell would give: the code; 128 + N for signal N; 124 on timeout.
pub fn exit_status(exit: &ExecExit) -> u8 {
    if exit.timed_out {
        return STATUS_TIMED_OUT;
    }
    match (exit.code, exit.signal) {
        (Some(code), _) => code.clamp(0, 255) as u8,
        (None, Some(signal)) => (128 + signal).clamp(0, 255) as u8,
        (None, None) => STATUS_FERRY_FAILED,
    }
}

/// The exit status for a failure before or while running: policy refusals and missing
/// programs get the shell's 126 and 127, everything else 125.
pub fn error_status(e: &ClientError) -> u8 {
    match e {
        ClientError::CommandFailed { status, .. } => *status,
        _ => match e.code() {
            "exec_denied" | "exec_argument_refused" => STATUS_DENIED,
            "exec_not_found" => STATUS_NOT_FOUND,
            _ => STATUS_FERRY_FAILED,
        },
    }
}

fn describe(exit: &ExecExit) -> String {
    if exit.timed_out {
        return format!(
            "ran past its time limit ({} ms) and was killed",
            exit.duration_ms
        );
    }
    match (exit.code, exit.signal) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => "ended without a status".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exit(code: Option<i32>, signal: Option<i32>, timed_out: bool) -> ExecExit {
        ExecExit {
            code,
            signal,
            timed_out,
            duration_ms: 5,
            stdout_bytes: 0,
            stderr_bytes: 0,
            stdout_truncated: false,
            stderr_truncated: false,
        }
    }

    #[test]
    fn exit_statuses_follow_the_shell() {
        assert_eq!(exit_status(&exit(Some(0), None, false)), 0);
        assert_eq!(exit_status(&exit(Some(3), None, false)), 3);
        assert_eq!(exit_status(&exit(None, Some(15), false)), 143);
        assert_eq!(exit_status(&exit(None, Some(9), true)), STATUS_TIMED_OUT);
    }

    #[test]
    fn refusals_get_the_shells_126_and_127() {
        let server = |code: &str| ClientError::Server {
            code: code.into(),
            message: String::new(),
            fields: Default::default(),
        };
        assert_eq!(error_status(&server("exec_denied")), 126);
        assert_eq!(error_status(&server("exec_not_found")), 127);
        assert_eq!(error_status(&server("internal")), 125);
        assert_eq!(error_status(&ClientError::ConnectionLost(None)), 125);
    }
}
