//! Operating Ferry, through the real binary: the config file and its refusals, which options
//! each command shows, the `ferry user` data-folder check and password minimum (`config`);
//! text and JSON logs, access and audit lines, escaping, disconnects (`logs`); readiness,
//! SIGHUP, the first-run password file and `--version` (`service`).

mod config;
mod logs;
mod service;

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::bin;

/// Writes a config file readable and writable by its owner only.
fn config_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("ferry.toml");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// `ferry serve` with the environment variables that name options removed, so only what a
/// test sets counts.
fn serve_cmd() -> Command {
    let mut cmd = Command::new(bin());
    cmd.arg("serve");
    for var in [
        "FERRY_CONFIG",
        "FERRY_DATA",
        "FERRY_META",
        "FERRY_TRUSTED_PROXY",
        "FERRY_CORS_ORIGIN",
        "FERRY_LOG_FORMAT",
        "FERRY_TLS_CERT",
        "FERRY_TLS_KEY",
        "FERRY_MIN_PASSWORD_LENGTH",
        "FERRY_SERVER",
        "FERRY_USER",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `cmd` expecting it to exit by itself within 20 s (a refusal), and returns its output.
fn exits(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the command kept running: {:?}", child.wait_with_output());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// One HTTP/1.1 request on a fresh connection; returns the status and the body.
fn http(addr: SocketAddr, method: &str, path: &str, auth: &str, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The `Authorization` value for Basic credentials.
fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    let raw = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}
