//! The `ferry` client commands: arguments, the one-shot runner and the interactive shell.
//!
//! - [`ConnArgs`], [`ClientCommand`]: clap definitions the binary flattens into its own.
//! - [`run`]: connect, log in, run one command, print `error[CODE]: message` on failure.
//! - `shell`: many commands on one connection, read line by line.
//! - `batch`: `put`/`get` of several files and folders (`-r`, `--jobs`), with a summary.
//! - `exec`: a remote command's output streamed to the local stdout and stderr, its ending
//!   turned into an exit status.
//! - [`size`]: `64MiB`-style sizes, parsed and shown (also used by `ferry user`).

mod args;
mod batch;
mod commands;
mod exec;
mod password;
mod progress;
mod shell;
pub mod size;
pub mod table;
mod words;

use std::process::ExitCode;
use std::time::Duration;

pub use args::{ClientCommand, ConnArgs};

use ferry_client::{Client, ClientError};

/// Runs one client command against the server in `conn`. Failures are printed as
/// `error[CODE]: message` on stderr and give exit status 1.
///
/// `exec` exits with the remote command's status instead, and with 124–127 for its own
/// failures (see [`exec::error_status`]).
pub async fn run(conn: ConnArgs, command: ClientCommand) -> ExitCode {
    let is_exec = matches!(command, ClientCommand::Exec { .. });
    let failed = |e: &ClientError| {
        if is_exec {
            eprintln!("{}", render_error(e));
            ExitCode::from(exec::error_status(e))
        } else {
            fail(e)
        }
    };
    let mut client = match connect(&conn).await {
        Ok(client) => client,
        Err(e) => return failed(&e),
    };
    let status = match command {
        ClientCommand::Shell => shell::run(&mut client).await,
        command => match commands::execute(&mut client, command).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(ClientError::CommandFailed { status, .. }) => ExitCode::from(status),
            Err(e) if is_exec && !matches!(e, ClientError::Server { .. }) => {
                // The command may still be running: closing the connection (rather than a
                // `bye` the server would only read after it) is what stops it.
                let status = failed(&e);
                drop(client);
                return status;
            }
            Err(e) => failed(&e),
        },
    };
    client.close().await;
    status
}

/// Connects and logs in as `conn` says.
async fn connect(conn: &ConnArgs) -> Result<Client, ClientError> {
    // Asked before connecting: the server allows only a few seconds from connect to login.
    let tls = conn.tls_client()?;
    let password = password::read_password(&conn.user, conn.address()).await?;
    let timeout = conn.timeout.unwrap_or(ConnArgs::DEFAULT_TIMEOUT);
    let timeout = Duration::from_secs(timeout.max(1));
    let mut client = Client::connect_with(conn.address(), tls, timeout).await?;
    client.login(&conn.user, &password).await?;
    Ok(client)
}

/// Prints `error[CODE]: message` and returns exit status 1.
fn fail(e: &ClientError) -> ExitCode {
    eprintln!("{}", render_error(e));
    ExitCode::FAILURE
}

/// `error[CODE]: message: cause: cause…`, the form every failure is shown in.
pub fn render_error(e: &ClientError) -> String {
    let mut text = format!("error[{}]: {e}", e.code());
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
