//! `ferry exec` and the shell's `!`: the remote streams and exit status passed through.

use super::{LIMITED, RUNNER, SHELLY, server};
use crate::support::{PASSWORD, output_with_stdin};

#[test]
fn cli_exec_passes_streams_and_the_remote_status_through() {
    let s = server();
    let as_user = |name: &str, args: &[&str]| s.cli_as(name, PASSWORD, args);

    let out = as_user(
        RUNNER,
        &["exec", "--", "sh", "-c", "echo out; echo err >&2; exit 3"],
    );
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(
        (&out.stdout[..], &out.stderr[..]),
        (&b"out\n"[..], &b"err\n"[..])
    );

    let out = as_user(RUNNER, &["exec", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(out.status.code(), Some(128 + 15), "{out:?}");

    let out = as_user(
        RUNNER,
        &["exec", "--timeout", "1", "--", "sh", "-c", "sleep 5"],
    );
    assert_eq!(out.status.code(), Some(124), "{out:?}");

    let out = as_user(RUNNER, &["exec", "printf", "%s", "a;b"]);
    assert_eq!(
        (out.status.code(), &out.stdout[..]),
        (Some(0), &b"a;b"[..]),
        "{out:?}"
    );

    let out = as_user(SHELLY, &["exec", "--sh", "echo a | tr a b"]);
    assert_eq!(
        (out.status.code(), &out.stdout[..]),
        (Some(0), &b"b\n"[..]),
        "{out:?}"
    );

    let out = as_user(LIMITED, &["exec", "--", "touch", "nope"]);
    assert_eq!(out.status.code(), Some(126), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[exec_denied]"));
    assert!(!s.home(LIMITED).join("nope").exists());

    let out = output_with_stdin(
        s.cli_cmd(&["shell"]).env("FERRY_USER", RUNNER),
        b"!printf '%s\\n' 'x;y'\nexec sh -c 'echo e >&2; exit 4'\npwd\n",
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "x;y\n/\n", "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("e\n") && err.contains("error[command_failed]"),
        "{err}"
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed command fails a piped shell"
    );
}

/// The attack, against the real server started with `FERRY_ADMIN_PASSWORD`: an
/// argv-only account reads `/proc/<server>/environ`, its parent's and every visible process's.
#[test]
fn cli_exec_cannot_read_the_servers_environment() {
    let s = server();
    let server_pid = s.child.id().to_string();
    let environ = format!("/proc/{server_pid}/environ");
    let out = s.cli_as(RUNNER, PASSWORD, &["exec", "--", "printf", "%s", &environ]);
    assert_eq!(out.status.code(), Some(0), "positive control: {out:?}");
    for argv in [
        &["exec", "--", "sh", "-c", &format!("cat {environ}")][..],
        &["exec", "--", "sh", "-c", "cat /proc/$PPID/environ"],
        &["exec", "--", "sh", "-c", "cat /proc/[0-9]*/environ"],
    ] {
        let out = s.cli_as(RUNNER, PASSWORD, argv);
        let seen = String::from_utf8_lossy(&out.stdout);
        assert!(!seen.contains(PASSWORD), "{argv:?} read the admin password");
        assert!(
            !seen.contains("FERRY_"),
            "{argv:?} read the server's environment: {seen}"
        );
    }
    // Non-dumpable: the server's /proc files belong to root whatever uid it runs as.
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&environ).unwrap().uid(), 0);
}
