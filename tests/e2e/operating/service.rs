//! Running Ferry as a service: readiness and stopping told to the service manager's
//! `NOTIFY_SOCKET`, SIGHUP (a `systemctl reload`) without TLS, the first-run password file,
//! and `--version`.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::time::Duration;

use crate::support::{Server, bin, free_port, ok};

#[test]
fn readiness_and_stopping_reach_the_notify_socket() {
    let tmp = tempfile::tempdir().unwrap();
    let socket_path = tmp.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut server = Server::start_collecting_stderr(&tmp.path().join("data"), free_port(), |c| {
        c.env("NOTIFY_SOCKET", &socket_path);
    });
    let mut buf = [0u8; 512];
    let n = socket.recv(&mut buf).unwrap();
    let ready = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(ready.lines().any(|l| l == "READY=1"), "{ready}");
    assert!(ready.contains(&server.addr.to_string()), "{ready}");
    // The server is ready when it says so.
    ok(&server.cli(&["ls"]));

    server.terminate();
    let n = socket.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"STOPPING=1");
    assert!(server.wait_exit(15).success());
}

#[test]
fn sighup_without_tls_keeps_the_server_running() {
    let server = Server::start(&[]);
    let status = Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(300));
    ok(&server.cli(&["ls"]));
}

#[test]
fn a_random_first_run_password_is_also_kept_in_a_file_only_the_server_user_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start_collecting_stderr(&data, free_port(), |c| {
        c.env_remove("FERRY_ADMIN_PASSWORD");
    });
    let printed = server
        .stdout()
        .iter()
        .find_map(|l| {
            l.strip_prefix("ferry: created user admin with password ")
                .map(str::to_string)
        })
        .unwrap_or_else(|| panic!("{:#?}", server.stdout()));
    let file = data.join("state/initial-admin-password");
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), printed);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    ok(&server.cli_as("admin", &printed, &["ls"]));
}

#[test]
fn version_names_the_git_revision() {
    let out = ok(&Command::new(bin()).arg("--version").output().unwrap());
    assert!(
        out.starts_with(&format!("ferry {} (git ", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
}

#[test]
fn the_shipped_systemd_unit_passes_systemd_analyze() {
    let Ok(analyze) = which("systemd-analyze") else {
        eprintln!("systemd-analyze is not installed; the unit file was not checked");
        return;
    };
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/deploy/ferry.service"
    ))
    .unwrap();
    for directive in [
        "Type=notify",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/ferry",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
    ] {
        assert!(unit.lines().any(|l| l == directive), "no {directive}");
    }
    // `verify` needs the binary it names to exist: point it at the one under test.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("ferry.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/ferry", bin())).unwrap();
    let out = Command::new(analyze)
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.trim().is_empty(), "{err}");
}

fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or(())
}
