//! Debian packages the harness installs when a tool it measures against is missing (`wrk`,
//! nginx), as `apt-get install -y` does by hand: as root directly, otherwise through `sudo -n`
//! (never prompting). The issue asks for the peers to come from Debian's packages, so a run on
//! a fresh machine measures them instead of failing.

use std::process::Command;

/// Installs `package` with apt-get and says so (refreshing the package lists once if the
/// first try fails, as on a fresh machine whose lists are empty); whether apt-get succeeded.
pub fn apt_install(package: &str) -> bool {
    println!("  {package} not found: installing it with `apt-get install -y {package}`");
    apt(&["install", "-y", "-q", "--no-install-recommends", package])
        || (apt(&["update", "-q"])
            && apt(&["install", "-y", "-q", "--no-install-recommends", package]))
}

/// `apt-get ARGS`, as root or through `sudo -n`; whether it succeeded.
fn apt(args: &[&str]) -> bool {
    let mut apt = if is_root() {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.args(["-n", "apt-get"]);
        sudo
    };
    apt.args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .is_ok_and(|s| s.success())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}
