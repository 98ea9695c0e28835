//! What every command gets whatever the kernel offers: resource limits, a working folder
//! checked to be inside the home, and Landlock confinement of the filesystem.

use std::path::{Path, PathBuf};

use landlock::{
    ABI, Access, AccessFs, CompatLevel, Compatible, LandlockStatus, PathBeneath, PathFd, Ruleset,
    RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope,
};
use rustix::process::{Resource, Rlimit, setrlimit};

use crate::ResourceLimits;
use crate::launch::{LaunchSpec, SandboxReport};

/// Folders a command may read and execute from (those that exist). `/proc` is added only when
/// the command has a /proc of its own (a PID namespace): the host's would show the server's
/// processes.
const SYSTEM_READ: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/sys",
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

pub(crate) fn set_limits(l: &ResourceLimits) -> std::io::Result<()> {
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
pub(crate) fn enter(cwd: &Path, home: &Path) -> Result<(), String> {
    std::env::set_current_dir(cwd).map_err(|e| format!("cannot enter the working folder: {e}"))?;
    let here = std::env::current_dir().map_err(|e| e.to_string())?;
    let home = std::fs::canonicalize(home).map_err(|e| e.to_string())?;
    if !here.starts_with(&home) {
        return Err("the working folder is outside the home".into());
    }
    Ok(())
}

pub(crate) fn confine(
    spec: &LaunchSpec,
    own_proc: bool,
) -> Result<SandboxReport, landlock::RulesetError> {
    let fs_abi = ABI::V5;
    let scope_abi = ABI::V6;
    let read = AccessFs::from_read(fs_abi);
    let dev = AccessFs::ReadFile | AccessFs::WriteFile;
    let data_dir = std::fs::canonicalize(&spec.data_dir).unwrap_or_else(|_| spec.data_dir.clone());

    let mut system = Vec::new();
    let proc_dir: &[&str] = if own_proc { &["/proc"] } else { &[] };
    for root in SYSTEM_READ.iter().chain(proc_dir) {
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
        isolation: String::new(),
        network: false,
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
