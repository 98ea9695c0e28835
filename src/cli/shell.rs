//! `ferry shell`: many commands on one logged-in connection, one line at a time.
//!
//! Lines are split with [`split_words`] and parsed by clap, so each command takes the same
//! options as its one-shot form (`put --overwrite a b`, `rm -r dir`) and answers `--help`.
//! The prompt goes to stderr, and only when stdin is a terminal, so piped sessions print
//! nothing but results. A failed command prints `error[CODE]: message` and the shell goes on;
//! when stdin is not a terminal the exit status is 1 if any command failed (a remote command
//! that exits non-zero counts as failed). `exec CMD ARGS…` and `!CMD ARGS…` run a command.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::UNIX_EPOCH;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

use super::table::Row;
use super::words::split_words;
use super::{ClientCommand, commands, render_error};
use ferry_client::{Client, ClientError};

const HELP: &str = "\
Commands (remote paths are relative to the remote folder, local ones to the local directory):
{subcommands}

Quote names with spaces: put \"my file.txt\" 'new name.txt'. Type COMMAND --help for details.";

/// One shell line.
#[derive(Debug, Parser)]
#[command(
    name = "ferry",
    no_binary_name = true,
    disable_version_flag = true,
    override_usage = "COMMAND [ARGS]",
    help_template = HELP
)]
struct Line {
    #[command(subcommand)]
    command: ShellCommand,
}

#[derive(Debug, Subcommand)]
enum ShellCommand {
    /// Change the remote current folder (the home when no path is given).
    Cd {
        /// Remote folder.
        path: Option<String>,
    },
    /// Show the remote current folder.
    Pwd,
    /// Change the local current directory (your home directory when no path is given).
    Lcd {
        /// Local directory.
        path: Option<PathBuf>,
    },
    /// List a local directory.
    Lls {
        /// Local directory.
        path: Option<PathBuf>,
    },
    /// Show the local current directory.
    Lpwd,
    /// Leave the shell (end of input does too).
    #[command(visible_alias = "exit")]
    Quit,
    #[command(flatten)]
    Remote(ClientCommand),
}

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

/// What one line asks for.
enum Parsed {
    Empty,
    Help(String),
    Usage(String),
    Command(ShellCommand),
}

fn parse_line(line: &str) -> Parsed {
    // `!CMD ARGS…` is `exec -- CMD ARGS…`.
    let (line, bang) = match line.trim_start().strip_prefix('!') {
        Some(rest) => (rest, true),
        None => (line, false),
    };
    let words = match split_words(line) {
        Ok(words) if words.is_empty() && !bang => return Parsed::Empty,
        Ok(words) if bang => ["exec", "--"]
            .into_iter()
            .map(String::from)
            .chain(words)
            .collect(),
        Ok(words) => words,
        Err(message) => return Parsed::Usage(message),
    };
    match Line::try_parse_from(words) {
        Ok(line) => Parsed::Command(line.command),
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                Parsed::Help(e.to_string())
            }
            _ => {
                let text = e.to_string();
                Parsed::Usage(text.strip_prefix("error: ").unwrap_or(&text).to_string())
            }
        },
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
            for row in local_rows(path.as_deref().unwrap_or(Path::new(".")))? {
                println!("{}", row.render());
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

/// Rows for a local directory, sorted by name.
fn local_rows(dir: &Path) -> Result<Vec<Row>, ClientError> {
    let reading = |e| ClientError::io(format!("cannot list {}", dir.display()), e);
    let mut rows = Vec::new();
    for item in std::fs::read_dir(dir).map_err(reading)? {
        let item = item.map_err(reading)?;
        let Ok(meta) = item.path().symlink_metadata() else {
            continue;
        };
        let name = item.file_name().to_string_lossy().into_owned();
        let kind = meta.file_type();
        let (kind, size, name) = if kind.is_dir() {
            ('d', None, format!("{name}/"))
        } else if kind.is_file() {
            ('-', Some(meta.len()), name)
        } else if kind.is_symlink() {
            ('l', None, name)
        } else {
            ('?', None, name)
        };
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs() as i64);
        rows.push(Row {
            kind,
            size,
            modified,
            name,
        });
    }
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_lines_parse_into_commands_with_their_flags() {
        let Parsed::Command(ShellCommand::Remote(ClientCommand::Rm { path, recursive })) =
            parse_line("rm -r 'old stuff'")
        else {
            panic!("rm did not parse");
        };
        assert_eq!(path, "old stuff");
        assert!(recursive);
        assert!(matches!(
            parse_line("exit"),
            Parsed::Command(ShellCommand::Quit)
        ));
        assert!(matches!(parse_line("   "), Parsed::Empty));
        assert!(matches!(parse_line("help"), Parsed::Help(_)));
        assert!(matches!(parse_line("frobnicate"), Parsed::Usage(_)));
        assert!(matches!(parse_line("put 'a"), Parsed::Usage(_)));
    }

    #[test]
    fn exec_and_bang_lines_keep_their_words_literal() {
        for line in ["exec printf '%s' 'a;b' -n", "!printf '%s' 'a;b' -n"] {
            let Parsed::Command(ShellCommand::Remote(ClientCommand::Exec { argv, sh, .. })) =
                parse_line(line)
            else {
                panic!("{line} did not parse");
            };
            assert_eq!(argv, ["printf", "%s", "a;b", "-n"], "{line}");
            assert_eq!(sh, None);
        }
        assert!(matches!(parse_line("!"), Parsed::Usage(_)));
    }

    #[test]
    fn put_in_the_shell_takes_the_one_shot_options() {
        let Parsed::Command(ShellCommand::Remote(ClientCommand::Put {
            local,
            remote,
            overwrite,
            retries,
            ..
        })) = parse_line("put --overwrite a.bin docs/")
        else {
            panic!("put did not parse");
        };
        assert_eq!(local, PathBuf::from("a.bin"));
        assert_eq!(remote.as_deref(), Some("docs/"));
        assert!(overwrite);
        assert_eq!(retries, 3);
    }
}
