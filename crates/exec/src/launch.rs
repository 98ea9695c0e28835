//! The launcher: the processes between the server and a command.
//!
//! One file of ~320 lines: its two stages (namespaces and mounts, then the confined exec) are
//! one sequence whose order is the security argument, and read best in one place.
//!
//! The server starts its own binary as `ferry __exec-launch` in a fresh process group, with an
//! empty environment except [`LAUNCH_SPEC_ENV`] (a JSON [`LaunchSpec`]).
//!
//! ```text
//!   server ──► stage 1 (pgid leader) ──unshare──► stage 2 = PID 1 of a new PID+mount ns
//!                ▲   waits, re-raises the        │  fresh /proc, home nodev, uid drop,
//!                │   command's exit or signal    │  no_new_privs, rlimits, Landlock
//!                └──── socket: spec in, status ◄─┴──► command (env: PATH, HOME, LANG)
//! ```
//!
//! Stage 1 enters the namespaces ([`crate::isolate`]) and starts stage 2, which becomes PID 1
//! there and gets the spec over a socket on its stdin (so no process the command can see holds
//! the spec in its environment). Stage 2 mounts, drops privileges, confines itself
//! ([`crate::confine`]), starts the command, reaps orphans until the command ends, sends back its
//! status and exits — and with PID 1 gone the kernel kills whatever the command left behind.
//! Where no namespace can be created, stage 1 confines itself and `exec`s the command.
//!
//! Limits, `no_new_privs` and Landlock survive `exec` and are inherited by every descendant.
//! The launcher is a separate process because the workspace forbids `unsafe`, which rules out
//! a `pre_exec` hook. A launcher failure prints `ferry-exec: …` on the command's stderr and
//! exits with [`LAUNCH_FAILED`].

use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use std::process::Stdio;

use serde::{Deserialize, Serialize};

use crate::ResourceLimits;
use crate::confine::{confine, enter, set_limits};
use crate::isolate::{self, Mode};

/// Environment variable carrying the JSON [`LaunchSpec`].
pub const LAUNCH_SPEC_ENV: &str = "FERRY_EXEC_SPEC";

/// The launcher's own exit code when it could not start the command (like `env`'s 125).
pub const LAUNCH_FAILED: i32 = 125;

/// `LANG` of every command.
pub const LANG: &str = "C.UTF-8";

/// Set (to `2`) in stage 2's otherwise empty environment.
const STAGE_ENV: &str = "FERRY_EXEC_STAGE";

/// Everything the launcher needs; built by the server, never by a client.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LaunchSpec {
    /// Absolute program path; `None` only probes the sandbox and prints a [`SandboxReport`].
    pub program: Option<PathBuf>,
    /// `argv[0]`.
    pub arg0: String,
    /// `argv[1..]`.
    pub args: Vec<String>,
    /// The user's home (absolute): the only writable folder.
    pub home: PathBuf,
    /// Working folder (absolute, inside `home`).
    pub cwd: PathBuf,
    /// Ferry's data folder: never granted, even when it lies inside a system folder.
    pub data_dir: PathBuf,
    /// The fixed `PATH`.
    pub path: String,
    /// Resource limits.
    pub limits: ResourceLimits,
    /// Keep the host's network; `false` (the default) gives the command an empty network
    /// namespace of its own.
    #[serde(default)]
    pub network: bool,
}

/// How far Landlock confinement went, as the launcher saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxReport {
    /// `full`, `partial` or `none`.
    pub landlock: String,
    /// The Landlock ABI in use, when the kernel has Landlock.
    pub abi: Option<i32>,
    /// Why confinement is missing or partial, if it is.
    pub note: Option<String>,
    /// Kernel isolation: `root`, `userns` or `none` (see [`crate::isolate`]).
    #[serde(default)]
    pub isolation: String,
    /// Whether commands share the host's network (else they have none at all).
    #[serde(default)]
    pub network: bool,
}

impl SandboxReport {
    /// Whether every requested restriction is enforced.
    pub fn fully_enforced(&self) -> bool {
        self.landlock == "full"
    }

    /// Whether commands run in their own PID and mount namespaces.
    pub fn isolated(&self) -> bool {
        matches!(self.isolation.as_str(), "root" | "userns")
    }
}

/// What stage 1 sends stage 2.
#[derive(Debug, Serialize, Deserialize)]
struct Stage2 {
    spec: LaunchSpec,
    mode: Mode,
    /// The uid to run as (root mode only).
    uid: Option<u32>,
    /// The server's uid and gid, which the command gets back (userns mode only).
    #[serde(default)]
    server_ids: Option<(u32, u32)>,
}

/// Entry point of `ferry __exec-launch`: stage 2 when [`STAGE_ENV`] says so, else stage 1 on
/// the spec in [`LAUNCH_SPEC_ENV`].
pub fn main_from_env() -> ! {
    if std::env::var_os(STAGE_ENV).is_some() {
        stage2();
    }
    let spec = std::env::var(LAUNCH_SPEC_ENV)
        .map_err(|e| e.to_string())
        .and_then(|s| serde_json::from_str::<LaunchSpec>(&s).map_err(|e| e.to_string()));
    match spec {
        Ok(spec) => launch(spec),
        Err(e) => fail(&format!("bad launch spec: {e}")),
    }
}

/// Stage 1: isolates what the kernel allows, then runs the command (or, in probe mode, prints
/// a JSON [`SandboxReport`] and exits 0) and ends as the command ended. Never returns.
pub fn launch(spec: LaunchSpec) -> ! {
    let root = rustix::process::geteuid().is_root();
    let ids = (
        rustix::process::geteuid().as_raw(),
        rustix::process::getegid().as_raw(),
    );
    let uid = match (&spec.program, spec.home.file_name()) {
        (Some(_), Some(name)) if root => Some(isolate::account_uid(&name.to_string_lossy())),
        _ => None,
    };
    if let Some(uid) = uid
        && let Err(e) = isolate::prepare_home(&spec.home, uid)
    {
        fail(&format!("cannot give the home to the account's uid: {e}"));
    }
    let mode = isolate::enter_namespaces(spec.network);
    if mode == Mode::None && spec.program.is_some() {
        fail(
            "refusing to run the command: this server can create no PID namespace for it (run \
             the server as root, or allow unprivileged user namespaces)",
        );
    }
    if mode == Mode::None {
        if let Err(e) = rustix::thread::set_no_new_privs(true) {
            fail(&format!("cannot set no_new_privs: {e}"));
        }
        probe_unisolated(spec, Mode::None)
    }
    let uid = if mode == Mode::Root { uid } else { None };
    let server_ids = (mode == Mode::Userns).then_some(ids);
    let (mut mine, theirs) = UnixStream::pair().unwrap_or_else(|e| fail(&format!("socket: {e}")));
    let exe = std::env::current_exe().unwrap_or_else(|e| fail(&format!("own path: {e}")));
    let child = std::process::Command::new(exe)
        .arg("__exec-launch")
        .env_clear()
        .env(STAGE_ENV, "2")
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .spawn();
    let mut child = child.unwrap_or_else(|e| fail(&format!("cannot start stage 2: {e}")));
    let msg = serde_json::to_vec(&Stage2 {
        spec,
        mode,
        uid,
        server_ids,
    })
    .unwrap_or_default();
    if mine.write_all(&msg).is_err() || mine.shutdown(std::net::Shutdown::Write).is_err() {
        fail("stage 2 did not take its spec");
    }
    let mut status = String::new();
    let _ = mine.read_to_string(&mut status);
    let own = child.wait();
    end_as(&status, own.ok().and_then(|s| s.code()))
}

/// Ends stage 1 the way stage 2 said the command ended: `code N` or `signal N`; otherwise
/// (stage 2 failed before starting it) with stage 2's own exit code.
fn end_as(status: &str, fallback: Option<i32>) -> ! {
    let mut words = status.split_whitespace();
    let (kind, n) = (
        words.next(),
        words.next().and_then(|n| n.parse::<i32>().ok()),
    );
    match (kind, n) {
        (Some("code"), Some(n)) => std::process::exit(n),
        (Some("signal"), Some(n)) => {
            if let Some(sig) = rustix::process::Signal::from_named_raw(n) {
                let _ = rustix::process::kill_process(rustix::process::getpid(), sig);
            }
            // The signal is ignored here (SIGPIPE in a Rust program): the shell's convention.
            std::process::exit(128 + n)
        }
        _ => std::process::exit(fallback.unwrap_or(LAUNCH_FAILED)),
    }
}

/// Stage 2, PID 1 of the new namespaces. Never returns.
fn stage2() -> ! {
    // Dies with stage 1, whoever kills it; with this process the whole namespace goes.
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    let stdin = std::io::stdin();
    let sock = stdin
        .as_fd()
        .try_clone_to_owned()
        .unwrap_or_else(|e| fail(&format!("stage 2 socket: {e}")));
    let mut sock = UnixStream::from(sock);
    let mut msg = Vec::new();
    if let Err(e) = sock.read_to_end(&mut msg) {
        fail(&format!("stage 2 spec: {e}"));
    }
    let Stage2 {
        spec,
        mode,
        uid,
        server_ids,
    } = serde_json::from_slice(&msg).unwrap_or_else(|e| fail(&format!("stage 2 spec: {e}")));
    let home = spec.program.as_ref().map(|_| spec.home.as_path());
    let own_proc = isolate::mount_inside(mode, home).unwrap_or_else(|e| fail(&e));
    if let Some((uid, gid)) = server_ids
        && let Err(e) = isolate::nest_user(uid, gid)
    {
        fail(&format!("cannot give up the namespace's root: {e}"));
    }
    if spec.program.is_some()
        && let Err(e) = enter(&spec.cwd, &spec.home)
    {
        fail(&e);
    }
    if let Some(uid) = uid
        && let Err(e) = isolate::drop_to(uid)
    {
        fail(&format!("cannot drop to the account's uid: {e}"));
    }
    if let Err(e) = rustix::thread::set_no_new_privs(true) {
        fail(&format!("cannot set no_new_privs: {e}"));
    }
    let report = limit_and_confine(&spec, mode, own_proc);
    let Some(program) = &spec.program else {
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
        std::process::exit(0);
    };
    let child = command(&spec, program).stdin(Stdio::null()).spawn();
    let child = child.unwrap_or_else(|e| fail(&format!("cannot run {}: {e}", spec.arg0)));
    let status = reap_until(child.id());
    let _ = sock.write_all(status.as_bytes());
    std::process::exit(0)
}

/// As PID 1, reaps every child (orphans are re-parented here) until `pid` ends; its status as
/// `code N` / `signal N`.
fn reap_until(pid: u32) -> String {
    loop {
        match rustix::process::wait(rustix::process::WaitOptions::empty()) {
            Ok(Some((p, st))) if p.as_raw_nonzero().get().unsigned_abs() == pid => {
                return match (st.exit_status(), st.terminating_signal()) {
                    (Some(c), _) => format!("code {c}"),
                    (None, Some(s)) => format!("signal {s}"),
                    _ => format!("code {LAUNCH_FAILED}"),
                };
            }
            Ok(_) => {}
            Err(_) => return format!("code {LAUNCH_FAILED}"),
        }
    }
}

/// Without namespaces (probe mode only: commands are refused there): limits and confinement on
/// this process, then the report. Never returns.
fn probe_unisolated(spec: LaunchSpec, mode: Mode) -> ! {
    let report = limit_and_confine(&spec, mode, false);
    println!("{}", serde_json::to_string(&report).unwrap_or_default());
    std::process::exit(0)
}

fn limit_and_confine(spec: &LaunchSpec, mode: Mode, own_proc: bool) -> SandboxReport {
    if let Err(e) = set_limits(&spec.limits) {
        fail(&format!("cannot set resource limits: {e}"));
    }
    match confine(spec, own_proc) {
        Ok(mut r) => {
            r.isolation = mode.as_str().to_string();
            r.network = spec.network || mode == Mode::None;
            r
        }
        Err(e) => fail(&format!("cannot set up Landlock: {e}")),
    }
}

/// The command with only `PATH`, `HOME` and `LANG` in its environment.
fn command(spec: &LaunchSpec, program: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(program);
    c.arg0(&spec.arg0)
        .args(&spec.args)
        .env_clear()
        .env("PATH", &spec.path)
        .env("HOME", &spec.home)
        .env("LANG", LANG);
    c
}

fn fail(msg: &str) -> ! {
    eprintln!("ferry-exec: {msg}");
    std::process::exit(LAUNCH_FAILED)
}
