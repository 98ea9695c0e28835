//! The policy text (`off`, `allow:ENTRY[,ENTRY…]`, `shell`) and the decision of what a request
//! may run. Every refusal here happens before anything is spawned. An entry is a program name
//! with optional argument rules ([`crate::rules`]).

use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{ExecError as Error, Result};
use crate::rules::{Entry, split_entries};
use crate::{ExecCommand, ExecPolicy};

/// What the launcher is told to run: an absolute program path and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Absolute path of the program.
    pub program: PathBuf,
    /// Arguments after the program name (`argv[1..]`).
    pub args: Vec<String>,
    /// `argv[0]` as the command will see it.
    pub arg0: String,
}

/// The shell of the `shell` policy.
pub const SHELL: &str = "/bin/sh";

impl ExecPolicy {
    /// Decides what `command` runs under this policy, resolving program names on `path`
    /// (a `:`-separated list of absolute folders). Refusals are `exec_denied`; a permitted
    /// name found nowhere on `path` is `exec_not_found`.
    pub fn plan(&self, command: &ExecCommand, path: &str) -> Result<Plan> {
        match (self, command) {
            (ExecPolicy::Off, _) => Err(Error::Denied(
                "command execution is off for this account".into(),
            )),
            (ExecPolicy::Allow(_), ExecCommand::Shell(_)) => Err(Error::Denied(
                "shell commands need the shell policy; send an argument vector".into(),
            )),
            (ExecPolicy::Shell, ExecCommand::Shell(cmd)) => {
                check_arg(cmd)?;
                Ok(Plan {
                    program: PathBuf::from(SHELL),
                    args: vec!["-c".into(), cmd.clone()],
                    arg0: "sh".into(),
                })
            }
            (policy, ExecCommand::Argv(argv)) => {
                let (name, args) = argv
                    .split_first()
                    .ok_or_else(|| Error::BadRequest("the argument vector is empty".into()))?;
                if name.is_empty() {
                    return Err(Error::BadRequest("the program name is empty".into()));
                }
                check_arg(name)?;
                for a in args {
                    check_arg(a)?;
                }
                let mut args = args.to_vec();
                let program = match policy {
                    ExecPolicy::Allow(list) => {
                        if name.contains('/') {
                            return Err(Error::Denied(format!(
                                "{name}: name an allowed program, not a path"
                            )));
                        }
                        let entry = list
                            .iter()
                            .filter_map(|e| Entry::parse(e).ok())
                            .find(|e| e.name == *name)
                            .ok_or_else(|| {
                                Error::Denied(format!(
                                    "{name} is not in this account's allowed programs"
                                ))
                            })?;
                        args = entry.apply(&args)?;
                        resolve(name, path)?
                    }
                    // Shell users may run anything; a path is taken as spelled.
                    _ if name.contains('/') => PathBuf::from(name),
                    _ => resolve(name, path)?,
                };
                Ok(Plan {
                    program,
                    args,
                    arg0: name.clone(),
                })
            }
        }
    }
}

fn check_arg(a: &str) -> Result<()> {
    if a.contains('\0') {
        return Err(Error::BadRequest("an argument contains a NUL byte".into()));
    }
    Ok(())
}

/// Finds `name` in the first folder of `path` holding an executable regular file of that name.
pub fn resolve(name: &str, path: &str) -> Result<PathBuf> {
    if name.is_empty() || name == "." || name == ".." {
        return Err(Error::NotFound(name.to_string()));
    }
    path.split(':')
        .map(Path::new)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .ok_or_else(|| Error::NotFound(name.to_string()))
}

impl fmt::Display for ExecPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecPolicy::Off => f.write_str("off"),
            ExecPolicy::Allow(list) => write!(f, "allow:{}", list.join(",")),
            ExecPolicy::Shell => f.write_str("shell"),
        }
    }
}

impl FromStr for ExecPolicy {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "off" => return Ok(ExecPolicy::Off),
            "shell" => return Ok(ExecPolicy::Shell),
            _ => {}
        }
        let Some(list) = s.strip_prefix("allow:") else {
            return Err(Error::BadRequest(format!(
                "exec policy {s:?}: expected off, allow:PROG[,PROG…] or shell"
            )));
        };
        let mut names: Vec<String> = Vec::new();
        let mut entries: Vec<Entry> = Vec::new();
        for text in split_entries(list) {
            let entry = Entry::parse(text)?;
            if !entries.iter().any(|e| e.name == entry.name) {
                names.push(entry.to_string());
                entries.push(entry);
            }
        }
        Ok(ExecPolicy::Allow(names))
    }
}

impl From<ExecPolicy> for String {
    fn from(p: ExecPolicy) -> String {
        p.to_string()
    }
}

impl TryFrom<String> for ExecPolicy {
    type Error = Error;

    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}
