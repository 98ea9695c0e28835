//! One shell line: its words ([`split_words`]) parsed by clap into a [`ShellCommand`], the
//! local commands beside the remote ones, with `!CMD` as a short `exec`.

use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

use crate::cli::ClientCommand;
use crate::cli::words::split_words;

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
pub(super) enum ShellCommand {
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

/// What one line asks for.
pub(super) enum Parsed {
    Empty,
    Help(String),
    Usage(String),
    Command(ShellCommand),
}

pub(super) fn parse_line(line: &str) -> Parsed {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::PutArgs;

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
    fn a_share_id_that_begins_with_a_dash_is_an_id_not_a_flag() {
        // Link ids are base64url, so one in 64 begins with `-`.
        let Parsed::Command(ShellCommand::Remote(ClientCommand::Unshare { id })) =
            parse_line("unshare -vK3xQ")
        else {
            panic!("unshare did not parse");
        };
        assert_eq!(id, "-vK3xQ");
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
        let Parsed::Command(ShellCommand::Remote(ClientCommand::Put(PutArgs {
            paths,
            overwrite,
            link,
            batch,
            ..
        }))) = parse_line("put --overwrite -r --jobs 2 a.bin docs/")
        else {
            panic!("put did not parse");
        };
        assert_eq!(paths, [PathBuf::from("a.bin"), PathBuf::from("docs/")]);
        assert!(overwrite);
        assert!(batch.recursive);
        assert_eq!(batch.jobs, 2);
        assert_eq!(link.retries, 3);
    }
}
