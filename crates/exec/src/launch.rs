//! The launcher: the process between the server and a command.
//!
//! The server starts its own binary as `ferry __exec-launch` in a fresh process group, with an
//! empty environment except [`LAUNCH_SPEC_ENV`] (a JSON [`LaunchSpec`]). The launcher then, in
//! this order:
//!
//! 1. sets resource limits (`setrlimit`, soft = hard; core dumps off);
//! 2. enters the working folder and checks it is still inside the home;
//! 3. confines itself with Landlock (best effort for the running kernel): read and execute on
//!    system folders, read and write on a few `/dev` nodes, everything inside the user's home,
//!    nothing else — so no other home, no Ferry state, no writes outside the home — and, where
//!    the kernel has scopes, no signals or abstract-socket connections outside the sandbox;
//! 4. `exec`s the program with only `PATH`, `HOME` and `LANG` set.
//!
//! Limits and Landlock survive `exec` and are inherited by every descendant. The launcher is a
//! separate process because the workspace forbids `unsafe`, which rules out a `pre_exec` hook.
//! A launcher failure prints `ferry-exec: …` on the command's stderr and exits with
//! [`LAUNCH_FAILED`].

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use landlock::{
    ABI, Access, AccessFs, CompatLevel, Compatible, LandlockStatus, PathBeneath, PathFd, Ruleset,
    RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope,
};
use rustix::process::{Resource, Rlimit, setrlimit};
use serde::{Deserialize, Serialize};

use crate::ResourceLimits;

/// Environment variable carrying the JSON [`LaunchSpec`].
pub const LAUNCH_SPEC_ENV: &str = "FERRY_EXEC_SPEC";

/// The launcher's own exit code when it could not start the command (like `env`'s 125).
pub const LAUNCH_FAILED: i32 = 125;

/// `LANG` of every command.
pub const LANG: &str = "C.UTF-8";

/// Folders a command may read and execute from (those that exist).
const SYSTEM_READ: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/proc", "/sys",
];

/// Device nodes a command may read and write. Not all of `/dev`: as root that would include
/// raw disks.
const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
];

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
}

impl SandboxReport {
    /// Whether every requested restriction is enforced.
    pub fn fully_enforced(&self) -> bool {
        self.landlock == "full"
    }
}

/// Entry point of `ferry __exec-launch`: reads the spec from [`LAUNCH_SPEC_ENV`] and runs it.
pub fn main_from_env() -> ! {
    let spec = std::env::var(LAUNCH_SPEC_ENV)
        .map_err(|e| e.to_string())
        .and_then(|s| serde_json::from_str::<LaunchSpec>(&s).map_err(|e| e.to_string()));
    match spec {
        Ok(spec) => launch(spec),
        Err(e) => fail(&format!("bad launch spec: {e}")),
    }
}

/// Applies limits and confinement, then replaces this process with the command (or, in probe
/// mode, prints a JSON [`SandboxReport`] and exits 0). Never returns.
pub fn launch(spec: LaunchSpec) -> ! {
    if let Err(e) = set_limits(&spec.limits) {
        fail(&format!("cannot set resource limits: {e}"));
    }
    if spec.program.is_some()
        && let Err(e) = enter(&spec.cwd, &spec.home)
    {
        fail(&e);
    }
    let report = match confine(&spec) {
        Ok(r) => r,
        Err(e) => fail(&format!("cannot set up Landlock: {e}")),
    };
    let Some(program) = &spec.program else {
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
        std::process::exit(0);
    };
    let err = std::process::Command::new(program)
        .arg0(&spec.arg0)
        .args(&spec.args)
        .env_clear()
        .env("PATH", &spec.path)
        .env("HOME", &spec.home)
        .env("LANG", LANG)
        .exec();
    fail(&format!("cannot run {}: {err}", spec.arg0))
}

fn fail(msg: &str) -> ! {
    eprintln!("ferry-exec: {msg}");
    std::process::exit(LAUNCH_FAILED)
}

fn set_limits(l: &ResourceLimits) -> std::io::Result<()> {
    let pairs = [
        (Resource::Cpu, l.cpu_secs),
        (Resource::As, l.address_space),
        (Resource::Fsize, l.file_size),
        (Resource::Nofile, l.open_files),
        (Resource::Nproc, l.processes),
        (Resource::Core, Some(0)),
    ];
    for (resource, value) in pairs {
        if let Some(v) = value {
            let lim = Rlimit {
                current: Some(v),
                maximum: Some(v),
            };
            setrlimit(resource, lim)?;
        }
    }
    Ok(())
}

/// Enters `cwd` and checks, after symlinks, that it is inside `home`.
fn enter(cwd: &Path, home: &Path) -> Result<(), String> {
    std::env::set_current_dir(cwd).map_err(|e| format!("cannot enter the working folder: {e}"))?;
    let here = std::env::current_dir().map_err(|e| e.to_string())?;
    let home = std::fs::canonicalize(home).map_err(|e| e.to_string())?;
    if !here.starts_with(&home) {
        return Err("the working folder is outside the home".into());
    }
    Ok(())
}

fn confine(spec: &LaunchSpec) -> Result<SandboxReport, landlock::RulesetError> {
    let fs_abi = ABI::V5;
    let scope_abi = ABI::V6;
    let read = AccessFs::from_read(fs_abi);
    let dev = AccessFs::ReadFile | AccessFs::WriteFile;
    let data_dir = std::fs::canonicalize(&spec.data_dir).unwrap_or_else(|_| spec.data_dir.clone());

    let mut system = Vec::new();
    for root in SYSTEM_READ {
        grant_avoiding(Path::new(root), &data_dir, &mut system);
    }
    let mut rules: Vec<(PathBuf, landlock::BitFlags<AccessFs>)> =
        system.into_iter().map(|p| (p, read)).collect();
    rules.extend(DEVICES.iter().map(|d| (PathBuf::from(d), dev)));
    if spec.program.is_some() {
        rules.push((spec.home.clone(), AccessFs::from_all(fs_abi)));
    }

    let mut created = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(fs_abi))?
        .scope(Scope::from_all(scope_abi))?
        .create()?;
    for (path, access) in rules {
        // A folder that does not exist on this system is simply not granted.
        let Ok(fd) = PathFd::new(&path) else { continue };
        let access = if path.is_dir() {
            access
        } else {
            access & AccessFs::from_file(fs_abi)
        };
        created = created.add_rule(PathBeneath::new(fd, access))?;
    }
    let status = created.restrict_self()?;
    let abi = match status.landlock {
        LandlockStatus::Available { effective_abi, .. } => Some(effective_abi as i32),
        _ => None,
    };
    let (level, note) = match (status.ruleset, status.landlock) {
        (RulesetStatus::FullyEnforced, _) => ("full", None),
        (RulesetStatus::PartiallyEnforced, _) => (
            "partial",
            Some("the kernel's Landlock ABI lacks some requested restrictions".to_string()),
        ),
        (RulesetStatus::NotEnforced, LandlockStatus::NotEnabled) => (
            "none",
            Some("Landlock is built into the kernel but not enabled at boot".to_string()),
        ),
        (RulesetStatus::NotEnforced, _) => (
            "none",
            Some("the kernel does not implement Landlock".to_string()),
        ),
    };
    Ok(SandboxReport {
        landlock: level.to_string(),
        abi,
        note,
    })
}

/// Collects `root` for granting, or — when `avoid` lies beneath it — its entries except the
/// branch holding `avoid`, recursively: Landlock rules only add access, so a folder holding
/// Ferry's data must never be granted whole.
fn grant_avoiding(root: &Path, avoid: &Path, out: &mut Vec<PathBuf>) {
    let Ok(real) = std::fs::canonicalize(root) else {
        return;
    };
    if real.starts_with(avoid) {
        return;
    }
    if !avoid.starts_with(&real) {
        out.push(root.to_path_buf());
        return;
    }
    let Ok(entries) = std::fs::read_dir(&real) else {
        return;
    };
    for entry in entries.flatten() {
        grant_avoiding(&entry.path(), avoid, out);
    }
}
