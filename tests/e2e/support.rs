//! Test harness: the real `ferry` binary on ephemeral ports in temp data folders, and a small
//! raw-frame client for hostile input.
//!
//! - `server`: [`Server`], a running `ferry serve`, and the CLI run against it;
//! - `raw`: [`Raw`], the raw-frame client;
//! - here: helpers for commands' output, files, digests and polling.

mod raw;
mod server;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ferry_proto::Header;
use serde_json::{Value, json};

pub use raw::{Raw, tcp_from};
pub use server::Server;

pub const PASSWORD: &str = "correct horse battery staple";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ferry")
}

pub fn free_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "command failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits until `cond` holds, polling every 10 ms, panicking after `secs`.
pub fn wait_for(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The command's stderr, for assertions on `error[code]: …` lines.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts that the command failed and printed `error[CODE]`; returns its stderr.
pub fn fails_with(out: &Output, code: &str) -> String {
    let err = stderr(out);
    assert!(
        !out.status.success(),
        "expected error[{code}], but it succeeded\nstdout: {}\nstderr: {err}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        err.contains(&format!("error[{code}]")),
        "expected error[{code}]: {err}"
    );
    err
}

/// Runs `ferry user SUBCOMMAND --data DATA REST…` (`args` = SUBCOMMAND REST…), feeding `stdin`
/// (for `--password-stdin`).
pub fn user(data: &Path, args: &[&str], stdin: &str) -> Output {
    let (subcommand, rest) = args.split_first().expect("a subcommand");
    let mut cmd = Command::new(bin());
    cmd.arg("user")
        .arg(subcommand)
        .arg("--data")
        .arg(data)
        .args(rest)
        .env_remove("FERRY_DATA");
    output_with_stdin(&mut cmd, stdin.as_bytes())
}

/// Runs `cmd` with `input` on its stdin and collects its stdout and stderr.
pub fn output_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that fails before reading its input closes the pipe; that is not an error here.
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait_with_output().unwrap()
}

pub fn md5_file(path: &Path) -> String {
    let mut f = std::fs::File::open(path).unwrap();
    let mut h = <md5::Md5 as md5::Digest>::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        md5::Digest::update(&mut h, &buf[..n]);
    }
    hex::encode(md5::Digest::finalize(h))
}

/// A file `name` in `dir` of `len` pseudo-random bytes (see [`random_file`]).
pub fn random_file_in(dir: &Path, name: &str, len: u64, seed: u64) -> PathBuf {
    let path = dir.join(name);
    random_file(&path, len, seed);
    path
}

/// Writes `len` pseudo-random bytes (seeded, so failures reproduce).
pub fn random_file(path: &Path, len: u64, seed: u64) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut left = len;
    let mut buf = vec![0u8; 1 << 16];
    while left > 0 {
        for b in buf.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let n = left.min(buf.len() as u64) as usize;
        f.write_all(&buf[..n]).unwrap();
        left -= n as u64;
    }
    f.flush().unwrap();
}

pub fn code(h: &Header) -> &str {
    h.get("code").and_then(Value::as_str).unwrap_or("<none>")
}

pub fn hello_json() -> Value {
    json!({"op": "hello", "version": 1})
}

/// The entry names of an `ls --json` document.
pub fn entry_names(listing: &str) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_str(listing).unwrap();
    doc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

/// Starts `ferry put --limit-rate 16MiB --retries N LOCAL REMOTE`, slow enough to be
/// interrupted mid-transfer; its output is piped for the test to read.
pub fn spawn_slow_put(server: &Server, local: &Path, remote: &str, retries: u32) -> Child {
    server
        .cli_cmd(&[
            "put",
            "--limit-rate",
            "16MiB",
            "--retries",
            &retries.to_string(),
            local.to_str().unwrap(),
            remote,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}
