//! Test harness: the real `ferry` binary on ephemeral ports in temp data folders, and a small
//! raw-frame client for hostile input.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use ferry_core::auth::scram::ScramClient;
use ferry_proto::{Frame, FrameCodec, Header, Request, encode_frame};
use serde_json::{Value, json};
use tokio_util::codec::Decoder;

pub const PASSWORD: &str = "correct horse battery staple";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ferry")
}

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
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
    let mut child = Command::new(bin())
        .arg("user")
        .arg(subcommand)
        .arg("--data")
        .arg(data)
        .args(rest)
        .env_remove("FERRY_DATA")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that fails before reading its input closes the pipe; that is not an error here.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
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

/// A blocking raw-frame client: exactly what a hostile or foreign client can send.
pub struct Raw {
    pub stream: TcpStream,
    codec: FrameCodec,
    buf: BytesMut,
}

impl Raw {
    pub fn connect(addr: SocketAddr) -> Raw {
        Raw::from_stream(TcpStream::connect(addr).unwrap())
    }

    /// Connects from a chosen local address (e.g. `127.0.0.2`, to be another source).
    pub fn connect_from(source: IpAddr, addr: SocketAddr) -> Raw {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        let stream = rt.block_on(async {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind(SocketAddr::new(source, 0)).unwrap();
            socket.connect(addr).await.unwrap()
        });
        let stream = stream.into_std().unwrap();
        stream.set_nonblocking(false).unwrap();
        Raw::from_stream(stream)
    }

    fn from_stream(stream: TcpStream) -> Raw {
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        Raw {
            stream,
            codec: FrameCodec::default(),
            buf: BytesMut::new(),
        }
    }

    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    pub fn send(&mut self, header: Value, payload: &[u8]) {
        let Value::Object(h) = header else {
            panic!("header must be an object")
        };
        let mut out = BytesMut::new();
        encode_frame(&h, payload, &mut out).unwrap();
        self.send_bytes(&out);
    }

    pub fn request(&mut self, r: Request) -> Header {
        self.send(Value::Object(r.to_header()), &[]);
        self.recv().expect("a response").header
    }

    /// The next frame, or `None` if the server closed the connection.
    pub fn recv(&mut self) -> Option<Frame> {
        loop {
            if let Some(f) = self.codec.decode(&mut self.buf).unwrap() {
                return Some(f);
            }
            if !self.read_more() {
                return None;
            }
        }
    }

    /// The next frame and the exact bytes it arrived as (for byte-for-byte comparisons).
    pub fn recv_with_bytes(&mut self) -> Option<(Frame, Vec<u8>)> {
        loop {
            let before = self.buf.clone();
            if let Some(f) = self.codec.decode(&mut self.buf).unwrap() {
                let used = before.len() - self.buf.len();
                return Some((f, before[..used].to_vec()));
            }
            if !self.read_more() {
                return None;
            }
        }
    }

    /// Reads what the server sent next into the buffer; `false` once it has closed.
    fn read_more(&mut self) -> bool {
        let mut chunk = [0u8; 65536];
        match self.stream.read(&mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => false,
            Err(e) => panic!("read: {e}"),
        }
    }

    /// Whether the server has closed the connection (within the read timeout).
    pub fn is_closed(&mut self) -> bool {
        self.recv().is_none()
    }

    pub fn hello(&mut self) {
        let h = self.request(Request::Hello {
            version: 1,
            client: Some("e2e".into()),
        });
        assert_eq!(h["status"], "ok", "{h:?}");
    }

    pub fn login(&mut self, user: &str, password: &str) -> Header {
        let (client, first) = ScramClient::new(user, password, None).unwrap();
        let h = self.request(Request::AuthStart {
            mechanism: "SCRAM-SHA-256".into(),
            message: first,
        });
        if h["status"] != "ok" {
            return h;
        }
        let (fin, last) = client
            .handle_server_first(h["message"].as_str().unwrap())
            .unwrap();
        let h = self.request(Request::AuthFinish { message: last });
        if h["status"] == "ok" {
            fin.verify_server_final(h["message"].as_str().unwrap())
                .unwrap();
        }
        h
    }

    pub fn logged_in(addr: SocketAddr) -> Raw {
        let mut r = Raw::connect(addr);
        r.hello();
        let h = r.login("admin", PASSWORD);
        assert_eq!(h["status"], "ok", "{h:?}");
        r
    }
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
