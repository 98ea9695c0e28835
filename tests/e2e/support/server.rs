//! The real `ferry serve` process under test: started on an ephemeral TCP port and an
//! ephemeral HTTP port in a temp data folder, its output collected, stopped, killed and
//! restarted the way a service manager or a crash would.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{PASSWORD, bin, free_port};

/// A running `ferry serve`.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// The HTTP door (`--http`; an ephemeral port unless the test chose one).
    pub http: SocketAddr,
    pub data: PathBuf,
    pub extra: Vec<String>,
    stdout_lines: Arc<Mutex<Vec<String>>>,
    stderr_lines: Arc<Mutex<Vec<String>>>,
    drains: Vec<JoinHandle<()>>,
    _tmp: Option<tempfile::TempDir>,
}

impl Server {
    pub fn start(extra: &[&str]) -> Server {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let mut s = Server::start_on(&data, free_port(), extra);
        s._tmp = Some(tmp);
        s
    }

    pub fn start_on(data: &Path, addr: SocketAddr, extra: &[&str]) -> Server {
        Server::spawn(Server::command(data, addr, extra), data, addr, extra)
    }

    /// [`Server::start_on`] with the server's stderr collected too (see [`Server::stderr`]);
    /// `adjust` changes the command first (e.g. the log level).
    pub fn start_collecting_stderr(
        data: &Path,
        addr: SocketAddr,
        adjust: impl FnOnce(&mut Command),
    ) -> Server {
        let mut cmd = Server::command(data, addr, &[]);
        cmd.stderr(Stdio::piped());
        adjust(&mut cmd);
        Server::spawn(cmd, data, addr, &[])
    }

    /// The `ferry serve` command [`Server::start_on`] runs, to adjust before [`Server::spawn`]
    /// (e.g. without `FERRY_ADMIN_PASSWORD`, or with stderr piped to capture it).
    pub fn command(data: &Path, addr: SocketAddr, extra: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.arg("serve");
        if !extra.contains(&"--http") {
            c.arg("--http").arg("127.0.0.1:0");
        }
        c.arg("--data")
            .arg(data)
            .arg("--tcp")
            .arg(addr.to_string())
            .args(extra)
            .env("FERRY_ADMIN_PASSWORD", PASSWORD)
            .env("FERRY_LOG", "warn")
            .stderr(Stdio::inherit());
        c
    }

    /// Spawns `cmd` (a `ferry serve` listening on `addr`, possibly wrapped) and waits until it
    /// listens. Its stdout, and its stderr if `cmd` pipes it, are collected line by line.
    pub fn spawn(mut cmd: Command, data: &Path, addr: SocketAddr, extra: &[&str]) -> Server {
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn ferry serve");
        let stdout_lines = Arc::new(Mutex::new(Vec::new()));
        let stderr_lines = Arc::new(Mutex::new(Vec::new()));
        let mut drains = Vec::new();
        if let Some(stderr) = child.stderr.take() {
            let sink = stderr_lines.clone();
            drains.push(std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    sink.lock().unwrap().push(line);
                }
            }));
        }
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        // The HTTP door reports last, once both doors listen.
        let http = loop {
            assert!(Instant::now() < deadline, "server did not start");
            let line = lines
                .next()
                .expect("server exited before listening")
                .unwrap();
            let http = line
                .strip_prefix("ferry: http listening on http://")
                .or_else(|| line.strip_prefix("ferry: http listening on https://"))
                .and_then(|rest| rest.split('/').next())
                .map(|a| a.parse::<SocketAddr>().expect("http address"));
            stdout_lines.lock().unwrap().push(line);
            if let Some(http) = http {
                break http;
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        let sink = stdout_lines.clone();
        drains.push(std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        }));
        Server {
            child,
            addr,
            http,
            data: data.to_path_buf(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
            stdout_lines,
            stderr_lines,
            drains,
            _tmp: None,
        }
    }

    /// Sends SIGTERM, the signal a service manager stops the server with.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits up to `secs` for the server to exit, then for its output to be fully collected.
    pub fn wait_exit(&mut self, secs: u64) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "server still running after {secs} s"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        for drain in self.drains.drain(..) {
            drain.join().unwrap();
        }
        status
    }

    /// Lines the server printed on stdout so far.
    pub fn stdout(&self) -> Vec<String> {
        self.stdout_lines.lock().unwrap().clone()
    }

    /// Lines the server printed on stderr so far (empty unless its command piped stderr).
    pub fn stderr(&self) -> Vec<String> {
        self.stderr_lines.lock().unwrap().clone()
    }

    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Starts a new server process on the same data folder and ports.
    pub fn restart(&mut self) {
        let http = self.http.to_string();
        let mut extra: Vec<&str> = self.extra.iter().map(String::as_str).collect();
        if !extra.contains(&"--http") {
            extra.extend(["--http", &http]);
        }
        let mut fresh = Server::start_on(&self.data, self.addr, &extra);
        std::mem::swap(&mut self.child, &mut fresh.child);
        std::mem::swap(&mut self.stdout_lines, &mut fresh.stdout_lines);
        std::mem::swap(&mut self.stderr_lines, &mut fresh.stderr_lines);
        std::mem::swap(&mut self.drains, &mut fresh.drains);
        // `fresh` now holds the dead process; dropping it only reaps that.
    }

    /// Runs the CLI against this server as admin.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.cli_cmd(args).output().unwrap()
    }

    pub fn cli_cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.args(args)
            .env("FERRY_SERVER", self.addr.to_string())
            .env("FERRY_USER", "admin")
            .env("FERRY_PASSWORD", PASSWORD)
            .stdin(Stdio::null());
        c
    }

    /// Runs the CLI against this server as `user` with `password`.
    pub fn cli_as(&self, user: &str, password: &str, args: &[&str]) -> Output {
        self.cli_cmd(args)
            .env("FERRY_USER", user)
            .env("FERRY_PASSWORD", password)
            .output()
            .unwrap()
    }

    pub fn staging_bytes(&self) -> u64 {
        let dir = self.data.join("state/staging");
        std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok()?.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    pub fn home(&self, user: &str) -> PathBuf {
        self.data.join("homes").join(user)
    }

    /// The MD5 of `path` in `user`'s home, read from the data folder itself.
    pub fn md5_of(&self, user: &str, path: impl AsRef<Path>) -> String {
        super::md5_file(&self.home(user).join(path))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
