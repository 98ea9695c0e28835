//! The command line as clap sees it, with two additions the derive cannot express:
//!
//! - the client's connection options (`--server`, `--user`, `--timeout`, TLS) belong to the
//!   client commands only, so `ferry serve --help` and `ferry user --help` do not list them;
//!   they are still accepted before the command (`ferry --server H:P ls`), as they always were;
//! - `ferry serve --config FILE` (or `FERRY_CONFIG`) adds the file's keys as options that the
//!   command line and the environment did not already give.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Subcommand};

use crate::cli::{ClientCommand, ConnArgs};
use crate::{Cli, Command};

/// The parsed command line.
#[derive(Debug)]
pub struct Parsed {
    /// What to run.
    pub command: Command,
    /// For a client command: where and as whom to connect.
    pub conn: ConnArgs,
    /// For `serve --print-config`: the configuration to print instead of serving.
    pub print_config: Option<String>,
}

/// The `clap` command tree of `ferry`.
pub fn command() -> clap::Command {
    let mut cmd = Cli::command();
    let scratch = ClientCommand::augment_subcommands(clap::Command::new("client"));
    for name in scratch.get_subcommands().map(|s| s.get_name().to_string()) {
        cmd = cmd.mut_subcommand(name, with_conn_args);
    }
    cmd
}

/// A client command with the connection options it does not define itself (`exec` has its
/// own `--timeout`, which is also its connection's).
fn with_conn_args(mut sub: clap::Command) -> clap::Command {
    let conn = ConnArgs::augment_args(clap::Command::new("conn"));
    for arg in conn.get_arguments() {
        if sub.get_arguments().all(|a| a.get_id() != arg.get_id()) {
            sub = sub.arg(arg.clone());
        }
    }
    sub
}

/// Parses the process's arguments, exiting with clap's message on a usage error.
pub fn parse() -> anyhow::Result<Parsed> {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let cmd = command();
    let mut matches = cmd.clone().get_matches_from(&argv);
    let mut from_file = BTreeSet::new();
    if let Some(("serve", serve)) = matches.subcommand()
        && let Some(path) = serve.get_one::<PathBuf>("config")
    {
        let serve_cmd = serve_command(&cmd);
        let file = crate::serve::config::from_file(path, &serve_cmd, serve)?;
        let mut argv = argv;
        argv.extend(file.args.iter().cloned());
        matches = match cmd.clone().try_get_matches_from(&argv) {
            Ok(m) => m,
            Err(e) => match crate::serve::config::explain(&e, path, &file) {
                Some(refusal) => return Err(refusal),
                None => e.exit(),
            },
        };
        from_file = file.keys;
    }
    let root_conn_given = CONN_IDS
        .iter()
        .any(|id| matches.value_source(id) == Some(ValueSource::CommandLine));
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let (name, sub) = matches.subcommand().expect("a subcommand is required");
    let conn = match &cli.command {
        Command::Client(_) => merged_conn(&matches, sub).unwrap_or_else(|e| e.exit()),
        _ if root_conn_given => {
            let mut cmd = command();
            cmd.error(
                clap::error::ErrorKind::ArgumentConflict,
                format!(
                    "--server, --user, --timeout and the TLS options are for the client \
                     commands; `ferry {name}` does not take them"
                ),
            )
            .exit()
        }
        _ => cli.conn.clone(),
    };
    let print_config = match (&cli.command, name) {
        (Command::Serve(args), "serve") if args.print_config() => Some(
            crate::serve::config::render(&serve_command(&cmd), sub, &from_file),
        ),
        _ => None,
    };
    Ok(Parsed {
        command: cli.command,
        conn,
        print_config,
    })
}

/// The `serve` subcommand, built (so its arguments are complete).
fn serve_command(cmd: &clap::Command) -> clap::Command {
    let mut cmd = cmd.clone();
    cmd.build();
    cmd.find_subcommand("serve")
        .cloned()
        .expect("ferry has a serve command")
}

/// The ids of [`ConnArgs`]'s options.
const CONN_IDS: [&str; 6] = ["server", "tls", "ca", "fingerprint", "user", "timeout"];

/// The connection options of a client command: each from after the command if given there,
/// else from before it (`ferry --server H:P ls`), else from the environment or default.
fn merged_conn(root: &ArgMatches, sub: &ArgMatches) -> Result<ConnArgs, clap::Error> {
    let mut conn = ConnArgs::from_arg_matches(sub)?;
    let before = ConnArgs::from_arg_matches(root)?;
    let given_before = |id: &str| {
        root.value_source(id) == Some(ValueSource::CommandLine)
            && sub.value_source(id) != Some(ValueSource::CommandLine)
    };
    if given_before("server") {
        conn.server = before.server;
    }
    if given_before("tls") {
        conn.tls = before.tls;
    }
    if given_before("ca") {
        conn.ca = before.ca;
    }
    if given_before("fingerprint") {
        conn.fingerprint = before.fingerprint;
    }
    if given_before("user") {
        conn.user = before.user;
    }
    if given_before("timeout") {
        conn.timeout = before.timeout;
    }
    Ok(conn)
}
