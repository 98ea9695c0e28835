//! Records the git revision the binary is built from, for `ferry --version`.
//!
//! `FERRY_GIT_REV` wins (a build from a tarball or inside a container without `.git` can pass
//! it); otherwise `git describe`; otherwise "unknown". Never fails the build.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=FERRY_GIT_REV");
    let rev = std::env::var("FERRY_GIT_REV")
        .ok()
        .filter(|r| !r.is_empty())
        .or_else(|| {
            git(&[
                "describe",
                "--always",
                "--dirty",
                "--abbrev=12",
                "--exclude",
                "*",
            ])
        })
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=FERRY_GIT_REV={rev}");
    // Rebuild when HEAD moves or the branch it names gets a new commit (paths from git itself,
    // so a worktree, whose `.git` is a file, works too).
    for path in ["HEAD", "index"] {
        if let Some(p) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(p) = git(&["rev-parse", "--git-path", &reference])
    {
        println!("cargo:rerun-if-changed={p}");
    }
}

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (out.status.success() && !text.is_empty()).then(|| text.to_string())
}
