//! One file of ~320 lines: every isolation case beside the one mode check they all rely on.
//!
//! Kernel isolation of commands: the server's processes invisible, the home `nodev`, a uid per
//! account, `setsid` daemons dying with the command, no network, and argument rules enforced
//! with the real launcher. CI runs this file as root and again as an unprivileged server user
//! (`tests/nonroot.sh`). Each test first checks that the launcher got the mode this host
//! allows (`root` as root; `userns` where an unprivileged user may make a user namespace;
//! `none` otherwise), then asserts what that mode guarantees — in `none`, that every command
//! is refused.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::Duration;

use ferry_core::exec::isolate::account_uid;

use super::{Box_, Outcome, argv, run, running, setup, sh, sleeper, text, unique, wait_until};

fn root() -> bool {
    own_uid() == 0
}

fn own_uid() -> u32 {
    std::fs::metadata("/proc/self").unwrap().uid()
}

/// The mode the launcher must get here, found independently of it with util-linux `unshare`.
fn expected_mode() -> &'static str {
    if root() {
        return "root";
    }
    let userns = std::process::Command::new("unshare")
        .args([
            "--user",
            "--map-current-user",
            "--pid",
            "--fork",
            "--mount",
            "--net",
        ])
        .arg("true")
        .status()
        .expect("unshare (util-linux) is needed by these tests");
    if userns.success() { "userns" } else { "none" }
}

async fn isolation(b: &Box_) -> String {
    let report = ferry_core::exec::probe(&b.ferry.config().exec, &b.data)
        .await
        .unwrap();
    assert_eq!(report.isolation, expected_mode(), "{report:?}");
    report.isolation
}

/// Mode `none`: the launcher refused to start the command, and said why.
fn assert_refused(o: &Outcome) {
    let exit = o.exit.as_ref().unwrap();
    assert_eq!(exit.code, Some(125), "{exit:?}");
    assert_stderr_has(o, "refusing to run the command");
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
}

/// The command's stderr contains `what` (the stderr is shown if not).
#[track_caller]
fn assert_stderr_has(o: &Outcome, what: &str) {
    let stderr = text(&o.stderr);
    assert!(stderr.contains(what), "{stderr}");
}

#[tokio::test]
async fn exec_cannot_read_the_server_environment_or_processes() {
    let b = setup("shell", |_| {}).await;
    let mode = isolation(&b).await;
    let server = std::process::id();
    // The test process plays the server; cargo gives it CARGO_* variables.
    assert!(std::env::vars().any(|(k, _)| k.starts_with("CARGO_")));
    let o = run(
        &b.alice,
        sh(&format!(
            "cat /proc/$PPID/environ /proc/1/environ /proc/{server}/environ; \
             cat /proc/{server}/cmdline; ls /proc"
        )),
    )
    .await;
    let out = text(&o.stdout);
    assert!(!out.contains("CARGO_"), "server environment leaked: {out}");
    if mode == "none" {
        return assert_refused(&o);
    }
    // Only the command's own processes: the launcher's PID 1, sh, cat/ls — a handful.
    let pids: Vec<u32> = out
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(!pids.is_empty(), "ls /proc listed no process: {out}");
    assert!(
        pids.iter().all(|&p| p < 20),
        "host processes visible: {pids:?}"
    );
    let o = run(
        &b.alice,
        sh("tr '\\0' ' ' < /proc/1/cmdline; echo; echo $PPID"),
    )
    .await;
    let out = text(&o.stdout);
    assert!(
        out.contains("__exec-launch"),
        "PID 1 is not the launcher: {out}"
    );
    assert!(!out.contains("CARGO_"), "{out}");
}

#[tokio::test]
async fn exec_mknod_in_the_home_is_useless() {
    let b = setup("shell", |_| {}).await;
    let mode = isolation(&b).await;
    let o = run(
        &b.alice,
        sh("mknod mem c 1 1 && head -c 16 mem | od -An -tx1; mknod null c 1 3 && echo x > null"),
    )
    .await;
    let home = b.data.join("homes/alice");
    let mut made = false;
    for dev in ["mem", "null"] {
        if let Ok(m) = std::fs::symlink_metadata(home.join(dev)) {
            made |= m.file_type().is_char_device_like();
        }
    }
    assert!(!made, "a device node was created: {}", text(&o.stderr));
    assert!(
        o.stdout.is_empty(),
        "read through a device: {}",
        text(&o.stdout)
    );
    if mode == "none" {
        return assert_refused(&o);
    }
    // No capability over the host's devices in a user namespace: the kernel refuses mknod.
    assert_stderr_has(&o, "Operation not permitted");
    if mode == "root" {
        let o = run(&b.alice, argv(&["cat", "/proc/self/mountinfo"])).await;
        let home_s = home.to_str().unwrap();
        let line = text(&o.stdout)
            .lines()
            .find(|l| l.split(' ').nth(4) == Some(home_s))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("home is not its own mount: {}", text(&o.stdout)));
        let opts = line.split(' ').nth(5).unwrap();
        assert!(opts.split(',').any(|o| o == "nodev"), "{line}");
        assert!(opts.split(',').any(|o| o == "nosuid"), "{line}");
    }
}

trait CharDevice {
    fn is_char_device_like(&self) -> bool;
}

impl CharDevice for std::fs::FileType {
    fn is_char_device_like(&self) -> bool {
        use std::os::unix::fs::FileTypeExt;
        self.is_char_device() || self.is_block_device()
    }
}

#[tokio::test]
async fn exec_setsid_daemon_dies_at_the_timeout() {
    let b = setup("shell", |_| {}).await;
    let mode = isolation(&b).await;
    let tag = unique();
    let mut r = sh(&format!("setsid {} & sleep 1000", sleeper(&tag)));
    r.timeout = Some(Duration::from_secs(1));
    let start_wait = run(&b.alice, r);
    let o = start_wait.await;
    if mode == "none" {
        return assert_refused(&o);
    }
    assert!(o.exit.unwrap().timed_out);
    wait_until("the setsid daemon's death", Duration::from_secs(3), || {
        !running(&sleeper(&tag))
    })
    .await;
}

#[tokio::test]
async fn exec_setsid_daemon_dies_when_the_command_ends() {
    let b = setup("shell", |_| {}).await;
    let mode = isolation(&b).await;
    let tag = unique();
    let o = run(
        &b.alice,
        sh(&format!(
            "setsid -f {} </dev/null >/dev/null 2>&1; echo ok",
            sleeper(&tag)
        )),
    )
    .await;
    if mode == "none" {
        return assert_refused(&o);
    }
    assert_eq!(text(&o.stdout), "ok\n", "{}", text(&o.stderr));
    wait_until(
        "the detached daemon's death",
        Duration::from_secs(3),
        || !running(&sleeper(&tag)),
    )
    .await;
}

#[tokio::test]
async fn exec_runs_as_the_accounts_own_uid_and_other_homes_stay_shut() {
    let b = setup("shell", |_| {}).await;
    let mode = isolation(&b).await;
    std::fs::write(b.data.join("homes/bob/secret.txt"), "bob's secret").unwrap();
    let o = run(&b.alice, sh("id -u; cat ../bob/secret.txt; ls ../bob")).await;
    let out = text(&o.stdout);
    assert!(!out.contains("secret"), "{out}");
    if mode == "none" {
        return assert_refused(&o);
    }
    assert_stderr_has(&o, "Permission denied");
    if mode == "userns" {
        // No uid to switch to without root: the server's own, mapped onto itself.
        assert_eq!(out.lines().next(), Some(own_uid().to_string().as_str()));
        return;
    }
    let uid = account_uid("alice");
    assert_eq!(out.lines().next(), Some(uid.to_string().as_str()));
    let home = std::fs::metadata(b.data.join("homes/alice")).unwrap();
    assert_eq!(
        (home.uid(), home.permissions().mode() & 0o777),
        (uid, 0o700)
    );
    // Files the server wrote before are the account's now, so the command can change them.
    std::fs::write(b.data.join("homes/alice/up.txt"), "v1").unwrap();
    let o = run(&b.alice, sh("echo v2 > up.txt && cat up.txt && rm up.txt")).await;
    assert_eq!(text(&o.stdout), "v2\n", "{}", text(&o.stderr));
}

#[tokio::test]
async fn exec_tar_checkpoint_action_is_refused_under_rules() {
    let b = setup("allow:tar[-t,-v,-f]", |_| {}).await;
    let mode = isolation(&b).await;
    let home = b.data.join("homes/alice");
    std::fs::write(home.join("a.txt"), "a").unwrap();
    let made = std::process::Command::new("tar")
        .args(["-c", "-f", "a.tar", "a.txt"])
        .current_dir(&home)
        .status()
        .unwrap();
    assert!(made.success());
    let evil = argv(&[
        "tar",
        "-t",
        "-f",
        "a.tar",
        "--checkpoint=1",
        "--checkpoint-action=exec=touch pwned",
    ]);
    let err = b.alice.exec(evil).await.map(|_| ()).unwrap_err();
    assert_eq!(err.code(), "exec_argument_refused");
    assert!(!home.join("pwned").exists());
    let o = run(&b.alice, argv(&["tar", "-t", "-v", "-f", "a.tar"])).await;
    if mode == "none" {
        return assert_refused(&o);
    }
    assert_eq!(o.exit.unwrap().code, Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("a.txt"));
}

/// `bash`'s `/dev/tcp` so the test needs no network tool installed.
fn connect_to(port: u16) -> String {
    format!("echo hi > /dev/tcp/127.0.0.1/{port} && echo connected; cat /proc/net/dev")
}

#[tokio::test]
async fn exec_cannot_connect_to_the_servers_port() {
    let b = setup("shell", |_| {}).await;
    let mode = isolation(&b).await;
    // The test process plays the server: a port listening on loopback.
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    server.set_nonblocking(true).unwrap();
    let port = server.local_addr().unwrap().port();
    let o = run(&b.alice, argv(&["bash", "-c", &connect_to(port)])).await;
    if mode == "none" {
        return assert_refused(&o);
    }
    let out = text(&o.stdout);
    assert!(!out.contains("connected"), "{out}");
    assert_stderr_has(&o, "Network is unreachable");
    // Only a loopback interface, and no other: the namespace is the command's own.
    let interfaces: Vec<&str> = out
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .collect();
    assert_eq!(
        interfaces.iter().map(|i| i.trim()).collect::<Vec<_>>(),
        ["lo"],
        "{out}"
    );
    let err = server.accept().map(|_| ()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
}

#[tokio::test]
async fn exec_network_option_gives_commands_the_hosts_network() {
    let b = setup("shell", |c| c.exec.network = true).await;
    let mode = isolation(&b).await;
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let o = run(&b.alice, argv(&["bash", "-c", &connect_to(port)])).await;
    if mode == "none" {
        return assert_refused(&o);
    }
    assert!(
        text(&o.stdout).starts_with("connected\n"),
        "{}",
        text(&o.stderr)
    );
    server.set_nonblocking(true).unwrap();
    assert!(server.accept().is_ok(), "the connection never arrived");
}
