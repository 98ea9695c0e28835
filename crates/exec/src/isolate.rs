//! Kernel isolation of a command: PID, mount and network namespaces, a fresh `/proc`, a
//! `nodev` home and, when the server runs as root, a uid of the account's own.
//!
//! | server runs as | namespaces                     | command's uid          | mode        |
//! |----------------|--------------------------------|------------------------|-------------|
//! | root           | PID + mount (+ net)            | [`account_uid`] (≥ 1e9) | `root`      |
//! | another user   | user + PID + mount (+ net), then a nested user namespace | the server's own | `userns` |
//! | another user   | none (userns refused)          | — (commands refused)   | `none`      |
//!
//! Without a PID namespace nothing kills a `setsid` daemon with its command, so in mode `none`
//! the launcher refuses every command (the probe still reports, so the server says why at
//! start). The network namespace (unless [`crate::ExecConfig::network`] allows the host's
//! network) holds only a loopback interface that is down: a command can reach no socket of
//! the server, nor anything else.
//!
//! In both namespace modes the command's first ancestor inside the namespace is the launcher's
//! second stage, PID 1 there: when it dies the kernel kills every process of the namespace,
//! `setsid` daemons included, and the fresh `/proc` shows only the command's own processes, so
//! `/proc/PPID/environ` names no process of the server.
//!
//! `unshare` is called through rustix's safe (deprecated) wrapper: the only hazard that made
//! rustix mark it unsafe is `CLONE_FILES`, which is never passed here, and the launcher is
//! single-threaded when it calls it.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use rustix::mount::{MountFlags, MountPropagationFlags};
use rustix::thread::UnshareFlags;
use serde::{Deserialize, Serialize};

/// How a command is isolated (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// PID + mount namespaces and a per-account uid.
    Root,
    /// An unprivileged user namespace holding PID + mount namespaces.
    Userns,
    /// No namespaces: own process group, Landlock without `/proc`, `no_new_privs`.
    None,
}

impl Mode {
    /// The name the probe reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Root => "root",
            Mode::Userns => "userns",
            Mode::None => "none",
        }
    }
}

/// First uid (and gid) of the per-account range: far above any uid a system hands out.
pub const ACCOUNT_UID_BASE: u32 = 1_000_000_000;

/// The uid a root server runs `account`'s commands as: [`ACCOUNT_UID_BASE`] plus a 32-bit
/// FNV-1a hash of the name, folded below 10⁹. FNV is written out because it must never change
/// between releases (std's hasher may), or homes would change owner on upgrade. Two accounts
/// share a uid with odds of about one in 10⁹ per pair; Landlock still keeps their homes apart.
pub fn account_uid(account: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in account.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    ACCOUNT_UID_BASE + h % ACCOUNT_UID_BASE
}

/// Stage one: enters the namespaces this server may create and says which mode it got. Must
/// run before any thread is started; the next child spawned becomes PID 1 of the namespace.
/// `network` keeps the host's network; otherwise a new, empty network namespace is entered too.
pub(crate) fn enter_namespaces(network: bool) -> Mode {
    let uid = rustix::process::geteuid();
    let gid = rustix::process::getegid();
    let net = if network {
        UnshareFlags::empty()
    } else {
        UnshareFlags::NEWNET
    };
    if uid.is_root() && unshare(UnshareFlags::NEWPID | UnshareFlags::NEWNS | net).is_ok() {
        return Mode::Root;
    }
    let flags = UnshareFlags::NEWUSER | UnshareFlags::NEWPID | UnshareFlags::NEWNS | net;
    if unshare(flags).is_err() {
        return Mode::None;
    }
    // Our ids become root of the namespace: only a root there keeps its capabilities across
    // `exec`, and stage 2 needs them to mount. Stage 2 gives them up with [`nest_user`].
    if map_ids(0, uid.as_raw(), 0, gid.as_raw()).is_err() {
        // Half a user namespace: no mounts will work; the launcher refuses to run commands.
        return Mode::None;
    }
    Mode::Userns
}

/// Writes this process's fresh user namespace's maps: `inner` uid/gid ↔ `outer` (one id
/// each). `setgroups` must be denied before an unprivileged gid_map is accepted.
fn map_ids(inner_uid: u32, outer_uid: u32, inner_gid: u32, outer_gid: u32) -> std::io::Result<()> {
    std::fs::write("/proc/self/setgroups", "deny")?;
    std::fs::write("/proc/self/uid_map", format!("{inner_uid} {outer_uid} 1"))?;
    std::fs::write("/proc/self/gid_map", format!("{inner_gid} {outer_gid} 1"))
}

/// Userns mode, stage 2 after mounting: enters a second user namespace, nested in the first,
/// where the server's own `uid`/`gid` stand for the first one's root. There this process is no
/// root, so the command it `exec`s starts with no capability at all — it cannot undo the
/// mounts or touch the namespaces — and sees the server's ids as its own.
pub(crate) fn nest_user(uid: u32, gid: u32) -> std::io::Result<()> {
    unshare(UnshareFlags::NEWUSER)?;
    map_ids(uid, 0, gid, 0)
}

#[allow(deprecated)]
fn unshare(flags: UnshareFlags) -> std::io::Result<()> {
    // See the module docs for why the safe wrapper is sound with these flags.
    Ok(rustix::thread::unshare(flags)?)
}

/// Stage two (PID 1 of the new namespace): private mounts, a fresh `/proc`, and the home
/// bind-mounted onto itself `nodev,nosuid` so device nodes or set-uid files made there are
/// inert. `home` is `None` in probe mode. Says whether the fresh `/proc` is mounted: a user
/// namespace may be refused it (a container masking parts of the host's `/proc`), and then
/// Landlock hides `/proc` instead.
pub(crate) fn mount_inside(mode: Mode, home: Option<&Path>) -> Result<bool, String> {
    let err = |what: &str, e: rustix::io::Errno| format!("{what}: {e}");
    rustix::mount::mount_change(
        "/",
        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
    )
    .map_err(|e| err("cannot make mounts private", e))?;
    let proc = rustix::mount::mount(
        "proc",
        "/proc",
        "proc",
        MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
        None,
    );
    let own_proc = match (proc, mode) {
        (Ok(()), _) => true,
        (Err(_), Mode::Userns) => false,
        (Err(e), _) => return Err(err("cannot mount a fresh /proc", e)),
    };
    let Some(home) = home else {
        return Ok(own_proc);
    };
    rustix::mount::mount_bind(home, home).map_err(|e| err("cannot bind the home", e))?;
    let remount = rustix::mount::mount_remount(
        home,
        MountFlags::BIND | MountFlags::NODEV | MountFlags::NOSUID,
        "",
    );
    match (remount, mode) {
        (Ok(()), _) => Ok(own_proc),
        // A user namespace may not drop flags the outer mount has locked; there mknod of a
        // device is refused by the kernel anyway (no CAP_MKNOD outside the namespace).
        (Err(_), Mode::Userns) => Ok(own_proc),
        (Err(e), _) => Err(err("cannot remount the home nodev", e)),
    }
}

/// Root mode, before entering namespaces: gives the home to the account's uid (mode 0700), and
/// lets other uids *search* (not list) the folders above it, so the command can reach its home
/// by path. Ownership rather than group access because files the server writes later are
/// created by root with mode 0644 in folders of mode 0755: only an owner change makes them
/// writable by the command. Entries are walked without following symlinks, and a file with
/// more than one link is left alone, so a link planted in the home cannot hand a system file
/// to the account.
pub(crate) fn prepare_home(home: &Path, uid: u32) -> std::io::Result<()> {
    for dir in home.ancestors().skip(1) {
        let meta = std::fs::metadata(dir)?;
        let mode = meta.permissions().mode();
        if mode & 0o001 == 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o001))?;
        }
    }
    give(home, uid)?;
    std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700))
}

fn give(path: &Path, uid: u32) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            give(&entry?.path(), uid)?;
        }
    } else if meta.nlink() > 1 && meta.uid() != uid {
        return Ok(());
    }
    if meta.uid() != uid || meta.gid() != uid {
        std::os::unix::fs::lchown(path, Some(uid), Some(uid))?;
    }
    Ok(())
}

/// Root mode, last step before confinement: becomes `uid` with no supplementary groups. The
/// launcher is single-threaded, so the per-thread syscalls change the whole process.
pub(crate) fn drop_to(uid: u32) -> std::io::Result<()> {
    rustix::thread::set_thread_groups(&[])?;
    rustix::thread::set_thread_res_gid(
        rustix::process::Gid::from_raw(uid),
        rustix::process::Gid::from_raw(uid),
        rustix::process::Gid::from_raw(uid),
    )?;
    let u = rustix::process::Uid::from_raw(uid);
    rustix::thread::set_thread_res_uid(u, u, u)?;
    Ok(())
}

/// Makes the server process non-dumpable, so its `/proc/PID/{environ,mem,maps,fd}` belong to
/// root and no process of the server's own uid — a command run without namespaces — can read
/// the environment (`FERRY_ADMIN_PASSWORD`) or memory. Children get the default back at
/// `exec`. Failure only means a kernel without `prctl`; it is logged by the caller's probe.
pub fn hide_server_process() {
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
}
