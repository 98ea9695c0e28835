//! `ferry`: the server (`ferry serve`), account administration (`ferry user …`) and the
//! command-line client (`ferry put|get|ls|…|shell`), in one binary.

mod admin;
mod args;
mod cli;
mod serve;
mod stores;
mod version;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's allocator: a request allocates and frees many small buffers on
/// whichever worker thread runs it. With glibc's malloc that was ~7% of the server's CPU on
/// 4 KiB GETs (`perf record` under `wrk`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Ferry moves files and runs commands for people, scripts and programs.
///
/// The client's connection options are accepted here, before the command, as well as after
/// a client command (see `args`).
#[derive(Debug, Parser)]
#[command(name = "ferry", version = version::LONG, about, propagate_version = true)]
struct Cli {
    #[command(
        flatten,
        next_help_heading = "Client connection (client commands only)"
    )]
    conn: crate::cli::ConnArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (TCP and HTTP doors) on a data folder, creating it and an `admin` user on
    /// first run.
    Serve(Box<serve::ServeArgs>),
    /// Print the HTTP API's OpenAPI document (YAML); `openapi.yaml` is this output.
    Openapi,
    /// Manage accounts in a data folder; a running server sees changes at the next login.
    #[command(subcommand)]
    User(admin::UserCommand),
    /// Internal: the sandboxing launcher the server starts for each remote command (reads its
    /// spec from the environment, confines itself, then runs the command).
    #[command(name = "__exec-launch", hide = true)]
    ExecLaunch,
    #[command(flatten)]
    Client(crate::cli::ClientCommand),
}

fn main() -> ExitCode {
    let cli = match args::parse() {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("error[config]: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(config) = &cli.print_config {
        print!("{config}");
        return ExitCode::SUCCESS;
    }
    if let Command::ExecLaunch = cli.command {
        // Before any runtime exists: the launcher stays single-threaded until it execs.
        ferry_core::exec::launch::main_from_env();
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error[internal]: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => report(serve::run(*args).await),
            Command::User(cmd) => {
                serve::init_admin_log();
                report(admin::run(cmd).await)
            }
            Command::Openapi => {
                use std::io::Write;
                let yaml = ferry_http::openapi::yaml();
                match std::io::stdout().write_all(yaml.as_bytes()) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(_) => ExitCode::FAILURE,
                }
            }
            Command::Client(cmd) => crate::cli::run(cli.conn, cmd).await,
            Command::ExecLaunch => ExitCode::FAILURE,
        }
    })
}

/// Prints `error[code]: message` for failures, as every `ferry` command does.
fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e
                .downcast_ref::<ferry_core::Error>()
                .map_or("error", ferry_core::Error::code);
            eprintln!("error[{code}]: {e:#}");
            ExitCode::FAILURE
        }
    }
}
