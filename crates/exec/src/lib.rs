//! Ferry's remote commands: a per-user policy, the sandboxing launcher and the runner.
//!
//! The types below are the contract between the core and the doors (TCP door, HTTP gateway,
//! CLI). A request goes through `ferry_core::Session::exec`, which checks the user's
//! [`ExecPolicy`] *before* anything is spawned, then starts the sandboxing launcher and returns
//! an [`ExecRun`] that yields [`ExecEvent`]s.
//!
//! - [`policy`]: parsing `off` / `allow:PROG,…` / `shell` and deciding what a request may run.
//! - [`rules`]: the argument rules of an allow-list entry (`tar[-t,-v,-f]`, `ls!`).
//! - [`launch`]: the launcher, run as separate processes (`ferry __exec-launch`): namespaces,
//!   resource limits, Landlock, a cleared environment, then the target. Separate processes
//!   because the workspace forbids `unsafe`, so no `pre_exec` hook.
//! - [`isolate`]: PID + mount namespaces, a fresh `/proc`, a `nodev` home, per-account uids.
//! - `confine`: resource limits and Landlock.
//! - [`run`]: the server side of one command: process group, timeout, capped output readers.
//! - [`config`]: [`ExecConfig`], the limits and their defaults.
//! - [`error`]: [`ExecError`], mapped by the core to its stable codes.

pub mod config;
mod confine;
pub mod error;
pub mod isolate;
pub mod launch;
pub mod policy;
pub mod rules;
pub mod run;

use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

pub use config::{ExecConfig, ResourceLimits};
pub use error::ExecError;
pub use launch::{LAUNCH_SPEC_ENV, LaunchSpec, SandboxReport};
pub use run::{ExecRun, probe};

/// What a user may run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum ExecPolicy {
    /// Nothing (the default for every account).
    #[default]
    Off,
    /// Only these programs (names resolved once against the server's fixed PATH), argv only.
    /// Each entry is a name with optional argument rules (`tar[-t,-v,-f]`, `ls!`; see
    /// [`rules`]), kept in its normalised text form.
    Allow(Vec<String>),
    /// Any command string through `sh -c`: an explicit opt-in for trusted users.
    Shell,
}

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecCommand {
    /// A program and its arguments, passed as a vector; never glued into a shell string.
    Argv(Vec<String>),
    /// A command string for `sh -c` (only under the `shell` policy).
    Shell(String),
}

/// One command request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRequest {
    /// The command.
    pub command: ExecCommand,
    /// Working folder inside the home (relative to the session's current folder); `None` is
    /// the current folder.
    pub cwd: Option<String>,
    /// Wall-clock limit; `None` is the server default. Capped by the user's maximum.
    pub timeout: Option<Duration>,
}

/// Which output stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExecExit {
    /// Exit code, when it exited.
    pub code: Option<i32>,
    /// Terminating signal number, when killed.
    pub signal: Option<i32>,
    /// Killed because the wall-clock limit passed.
    pub timed_out: bool,
    /// Wall-clock run time in milliseconds.
    pub duration_ms: u64,
    /// Bytes the command wrote to stdout (including any past the cap).
    pub stdout_bytes: u64,
    /// Bytes the command wrote to stderr (including any past the cap).
    pub stderr_bytes: u64,
    /// Stdout passed the cap; the rest was discarded.
    pub stdout_truncated: bool,
    /// Stderr passed the cap; the rest was discarded.
    pub stderr_truncated: bool,
}

/// What a running command produces, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecEvent {
    /// A piece of output (raw bytes; may not be UTF-8).
    Output(ExecStream, Bytes),
    /// The end; always the last event.
    Exit(ExecExit),
}
