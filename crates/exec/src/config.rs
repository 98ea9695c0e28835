//! Exec limits and their defaults.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How commands run; every limit has a default and can be made tiny for tests.
#[derive(Debug, Clone)]
pub struct ExecConfig {
    /// The sandboxing launcher: the `ferry` binary itself (`ferry serve` sets it to its own
    /// path). `None` makes exec unavailable: every request is `exec_denied`.
    pub launcher: Option<PathBuf>,
    /// The fixed `PATH` programs are resolved against and commands see (default
    /// `/usr/local/bin:/usr/bin:/bin`). Never taken from a request or the server's environment.
    pub path: String,
    /// Wall-clock limit when a request names none (default 30 s).
    pub default_timeout: Duration,
    /// Largest wall-clock limit; longer requests are clamped to it (default 300 s). An
    /// account's own maximum, when set, lowers it further.
    pub max_timeout: Duration,
    /// Bytes kept per output stream; the rest is read and discarded (default 1 MiB).
    pub output_cap: u64,
    /// Commands one user may have running at once (default 4); more get `limit_reached`.
    pub max_per_user: usize,
    /// Limits set on the command's process before `exec`.
    pub limits: ResourceLimits,
    /// Let commands use the host's network (default `false`: each command gets a network
    /// namespace of its own with only a loopback interface, down, so it reaches no socket of
    /// the server nor of anything else).
    pub network: bool,
}

/// Kernel resource limits (`setrlimit`) of a command, soft = hard. `None` leaves one as
/// inherited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceLimits {
    /// CPU seconds (`RLIMIT_CPU`, default 300).
    pub cpu_secs: Option<u64>,
    /// Address space in bytes (`RLIMIT_AS`, default 4 GiB).
    pub address_space: Option<u64>,
    /// Largest file the command may write, in bytes (`RLIMIT_FSIZE`, default 1 GiB).
    pub file_size: Option<u64>,
    /// Open file descriptors (`RLIMIT_NOFILE`, default 256).
    pub open_files: Option<u64>,
    /// Processes of the server's user id (`RLIMIT_NPROC`, default 512). The kernel counts
    /// every process and thread of that uid, the server's own included, and ignores it for
    /// root.
    pub processes: Option<u64>,
}

impl Default for ResourceLimits {
    fn default() -> Self {
        ResourceLimits {
            cpu_secs: Some(300),
            address_space: Some(4 << 30),
            file_size: Some(1 << 30),
            open_files: Some(256),
            processes: Some(512),
        }
    }
}

impl Default for ExecConfig {
    fn default() -> Self {
        ExecConfig {
            launcher: None,
            path: "/usr/local/bin:/usr/bin:/bin".to_string(),
            default_timeout: Duration::from_secs(30),
            max_timeout: Duration::from_secs(300),
            output_cap: 1 << 20,
            max_per_user: 4,
            limits: ResourceLimits::default(),
            network: false,
        }
    }
}
