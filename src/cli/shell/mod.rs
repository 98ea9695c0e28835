//! `ferry shell`: many commands on one logged-in connection, one line at a time.
//!
//! Lines are split into words and parsed by clap (`line`), so each command takes the same
//! options as its one-shot form (`put --overwrite a b`, `rm -r dir`) and answers `--help`.
//! The prompt goes to stderr, and only when stdin is a terminal, so piped sessions print
//! nothing but results. A failed command prints `error[CODE]: message` and the shell goes on;
//! when stdin is not a terminal the exit status is 1 if any command failed (a remote command
//! that exits non-zero counts as failed). `exec CMD ARGS…` and `!CMD ARGS…` run a command.
//! The local commands (`lcd`, `lls`, `lpwd`) run here; `lls` rows come from `local`.

mod line;
mod local;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::table::render_rows;
use super::{commands, render_error};
use ferry_client::{Client, ClientError};
use line::{Parsed, ShellCommand, parse_line};
use local::local_rows;

/// Runs the shell until `quit` or end of input.
pub async fn run(client: &mut Client) -> ExitCode {
    let interactive = std::io::stdin().is_terminal();
    let mut failed = false;
    loop {
        if interactive {
            let user = client.user().unwrap_or("?");
            eprint!("ferry:{user}:{}> ", client.cwd());
            let _ = std::io::stderr().flush();
        }
        let line = match read_line().await {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                eprintln!("{}", render_error(&e));
                failed = true;
                break;
            }
        };
        let command = match parse_line(&line) {
            Parsed::Empty => continue,
            Parsed::Help(text) => {
                println!("{}", text.trim_end());
                continue;
            }
            Parsed::Usage(text) => {
                eprintln!("error[usage]: {}", text.trim_end());
                failed = true;
                continue;
            }
            Parsed::Command(ShellCommand::Quit) => break,
            Parsed::Command(command) => command,
        };
        if is_remote(&command) {
            match client.ensure_open().await {
                Ok(true) => eprintln!("reconnected (the server had closed the connection)"),
                Ok(false) => {}
                Err(e) => {
                    eprintln!("{}", render_error(&e));
                    failed = true;
                    continue;
                }
            }
        }
        if let Err(e) = execute(client, command).await {
            eprintln!("{}", render_error(&e));
            failed = true;
            recover(client, &e).await;
        }
    }
    if interactive {
        eprintln!();
    }
    if failed && !interactive {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

async fn execute(client: &mut Client, command: ShellCommand) -> Result<(), ClientError> {
    match command {
        ShellCommand::Cd { path } => {
            client.cd(path.as_deref().unwrap_or("/")).await?;
        }
        ShellCommand::Pwd => println!("{}", client.pwd().await?),
        ShellCommand::Lcd { path } => {
            let home = std::env::var_os("HOME").map(PathBuf::from);
            let Some(dir) = path.or(home) else {
                return Err(ClientError::Refused {
                    code: "bad_request",
                    message: "no directory given and HOME is not set".into(),
                });
            };
            std::env::set_current_dir(&dir)
                .map_err(|e| ClientError::io(format!("cannot change to {}", dir.display()), e))?;
        }
        ShellCommand::Lls { path } => {
            let rows = local_rows(path.as_deref().unwrap_or(Path::new(".")))?;
            for line in render_rows(&rows, true) {
                println!("{line}");
            }
        }
        ShellCommand::Lpwd => {
            let dir = std::env::current_dir()
                .map_err(|e| ClientError::io("cannot read the current directory", e))?;
            println!("{}", dir.display());
        }
        ShellCommand::Quit => {}
        ShellCommand::Remote(command) => commands::execute(client, command).await?,
    }
    Ok(())
}

/// Whether a command talks to the server.
fn is_remote(command: &ShellCommand) -> bool {
    matches!(
        command,
        ShellCommand::Cd { .. } | ShellCommand::Pwd | ShellCommand::Remote(_)
    )
}

/// After a failure that may have left the connection broken or out of step, starts afresh.
async fn recover(client: &mut Client, error: &ClientError) {
    let broken = matches!(
        error.code(),
        "connection_lost"
            | "timeout"
            | "shutting_down"
            | "protocol_error"
            | "chunk_checksum_mismatch"
    );
    if !broken {
        return;
    }
    match client.reconnect().await {
        Ok(()) => eprintln!("reconnected"),
        Err(e) => eprintln!("{}", render_error(&e)),
    }
}

/// Reads one line from stdin (through std's shared buffer, which the password prompt also
/// used); `None` at end of input.
async fn read_line() -> Result<Option<String>, ClientError> {
    let read = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let n = std::io::stdin().read_line(&mut line)?;
        Ok::<_, std::io::Error>((n > 0).then_some(line))
    })
    .await
    .map_err(|e| ClientError::io("cannot read standard input", std::io::Error::other(e)))?;
    read.map_err(|e| ClientError::io("cannot read standard input", e))
}
