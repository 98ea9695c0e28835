//! The real `ferry serve` as a child process: built and found next to this harness, started on
//! loopback ports in a temp data folder, stopped and restarted, and measured from `/proc`.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

/// The password `FERRY_ADMIN_PASSWORD` gives the bootstrap user `admin`.
pub const PASSWORD: &str = "ferry-bench password";
pub const USER: &str = "admin";

/// Limits raised above the defaults so that the idle-connection and concurrency runs are
/// measured rather than refused (printed at start).
pub const RAISED_LIMITS: &[&str] = &[
    "--max-connections",
    "4096",
    "--max-unauthenticated",
    "2048",
    "--max-uploads-per-user",
    "256",
    "--login-timeout",
    "60",
    "--max-connections-per-source",
    "4096",
    "--max-startups-per-source",
    "2048",
    "--max-startups",
    "2048",
];

/// `/proc` clock ticks per second (`USER_HZ`), fixed at 100 by the Linux ABI.
const TICKS_PER_SEC: f64 = 100.0;

/// Builds `ferry` with this harness's profile (when run by cargo) and returns its path.
pub fn ferry_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the harness executable")?;
    let dir = exe
        .parent()
        .context("the harness executable has no folder")?;
    let bin = dir.join("ferry");
    if let Some(cargo) = std::env::var_os("CARGO") {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("bench/ has no parent")?;
        let mut build = Command::new(cargo);
        build
            .current_dir(root)
            .args(["build", "--quiet", "--bin", "ferry"]);
        if !cfg!(debug_assertions) {
            build.arg("--release");
        }
        let status = build.status().context("cannot run cargo build")?;
        ensure!(status.success(), "cargo build --bin ferry failed");
    }
    ensure!(
        bin.is_file(),
        "{} is missing: build it with `cargo build --bin ferry` (with --release for a release harness)",
        bin.display()
    );
    Ok(bin)
}

/// A running `ferry serve`.
#[derive(Debug)]
pub struct Server {
    bin: PathBuf,
    pub data: PathBuf,
    child: Child,
    pub tcp: SocketAddr,
    pub http: SocketAddr,
    /// The TCP door's certificate fingerprint when the server speaks TLS.
    pub fingerprint: Option<String>,
}

/// What `/proc` says about the server at one moment.
#[derive(Debug, Clone, Copy)]
pub struct ProcStats {
    /// Resident set now, and its peak since start or the last [`Server::reset_peak`], bytes.
    pub rss: u64,
    pub peak: u64,
    /// User plus system CPU time, seconds.
    pub cpu: f64,
}

/// Server resources over one measured step; see [`Server::probe`].
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub secs: f64,
    pub peak_rss: u64,
    /// Peak during the step minus the resident set just before it.
    pub rss_growth: u64,
    pub cpu: f64,
}

/// Started by [`Server::probe`]: the state before a step.
#[derive(Debug)]
pub struct Probe {
    before: ProcStats,
    started: Instant,
}

impl Server {
    /// The `ferry` binary this server runs (also the CLI the `tree` rows time).
    pub fn bin(&self) -> &Path {
        &self.bin
    }

    /// Starts `ferry serve` on ephemeral loopback ports with `data` as its data folder.
    pub fn start(bin: &Path, data: &Path) -> Result<Server> {
        Server::start_with(bin, data, &[], &[])
    }

    /// Another server from the same binary, with `extra` options (e.g. `--tls-self-signed`).
    pub fn start_like(&self, data: &Path, extra: &[&str]) -> Result<Server> {
        Server::start_with(&self.bin, data, extra, &[])
    }

    /// [`start_like`](Self::start_like) with environment variables set for the child (e.g.
    /// an S3 store's keys).
    pub fn start_like_env(
        &self,
        data: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Server> {
        Server::start_with(&self.bin, data, extra, env)
    }

    fn start_with(bin: &Path, data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Result<Server> {
        let mut child = Command::new(bin)
            .arg("serve")
            .arg("--data")
            .arg(data)
            .args(["--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0"])
            .args(RAISED_LIMITS)
            .args(extra)
            .env("FERRY_ADMIN_PASSWORD", PASSWORD)
            .envs(env.iter().copied())
            // FERRY_LOG=info shows per-upload lines (and any re-hashing) while profiling.
            .env(
                "FERRY_LOG",
                std::env::var("FERRY_LOG").unwrap_or_else(|_| "warn".to_string()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let (mut tcp, mut http, mut fingerprint) = (None, None, None);
        // The HTTP door reports last, once both doors listen.
        while http.is_none() {
            let Some(line) = lines.next().transpose()? else {
                let status = child.wait()?;
                bail!("ferry serve exited before listening ({status})");
            };
            if let Some(addr) = line.strip_prefix("ferry: tcp listening on ") {
                tcp = Some(addr.trim().parse()?);
            }
            if let Some(fp) = line.strip_prefix("ferry: tcp tls certificate sha256 ") {
                fingerprint = Some(fp.trim().to_string());
            }
            let http_rest = line
                .strip_prefix("ferry: http listening on http://")
                .or_else(|| line.strip_prefix("ferry: http listening on https://"));
            if let Some(rest) = http_rest {
                http = Some(rest.split('/').next().unwrap_or_default().parse()?);
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        Ok(Server {
            bin: bin.to_path_buf(),
            data: data.to_path_buf(),
            child,
            tcp: tcp.context("the server did not report its TCP address")?,
            http: http.context("the server did not report its HTTP address")?,
            fingerprint,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The user's home on disk, to check what landed.
    pub fn home(&self) -> PathBuf {
        self.data.join("homes").join(USER)
    }

    /// Graceful stop (SIGTERM, as an operator's restart would), then a fresh start on the same
    /// data folder. The ports change.
    pub fn restart(&mut self) -> Result<()> {
        self.stop()?;
        *self = Server::start(&self.bin, &self.data)?;
        Ok(())
    }

    /// SIGTERM, then SIGKILL if it has not exited after 20 s.
    pub fn stop(&mut self) -> Result<()> {
        let pid = self.pid().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child.kill()?;
        self.child.wait()?;
        bail!("ferry serve did not stop within 20 s of SIGTERM")
    }

    /// Resident set, peak resident set and CPU time, from `/proc/PID/status` and `stat`.
    pub fn stats(&self) -> Result<ProcStats> {
        let proc = PathBuf::from(format!("/proc/{}", self.pid()));
        let status = std::fs::read_to_string(proc.join("status"))?;
        let kib = |key: &str| -> Result<u64> {
            let line = status
                .lines()
                .find(|l| l.starts_with(key))
                .with_context(|| format!("no {key} in /proc/PID/status"))?;
            let n: u64 = line[key.len()..]
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()?;
            Ok(n * 1024)
        };
        let stat = std::fs::read_to_string(proc.join("stat"))?;
        // Fields after the command name (which may hold spaces) start at field 3, `state`.
        let after = &stat[stat.rfind(')').context("bad /proc/PID/stat")? + 1..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| -> Result<f64> {
            Ok(fields
                .get(i)
                .context("short /proc/PID/stat")?
                .parse::<f64>()?)
        };
        Ok(ProcStats {
            rss: kib("VmRSS:")?,
            peak: kib("VmHWM:")?,
            // utime and stime are fields 14 and 15: 11 and 12 after `state`.
            cpu: (ticks(11)? + ticks(12)?) / TICKS_PER_SEC,
        })
    }

    /// Resets the kernel's peak-RSS mark (`clear_refs` 5), so that VmHWM is this step's peak.
    pub fn reset_peak(&self) -> Result<()> {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5")
            .context("cannot reset the server's peak RSS (/proc/PID/clear_refs)")
    }

    /// Starts measuring one step.
    pub fn probe(&self) -> Result<Probe> {
        self.reset_peak()?;
        Ok(Probe {
            before: self.stats()?,
            started: Instant::now(),
        })
    }
}

impl Probe {
    /// Ends the step: elapsed time and what the server used meanwhile.
    pub fn finish(self, server: &Server) -> Result<Usage> {
        let secs = self.started.elapsed().as_secs_f64();
        let after = server.stats()?;
        let peak = after.peak.max(after.rss);
        Ok(Usage {
            secs,
            peak_rss: peak,
            rss_growth: peak.saturating_sub(self.before.rss),
            cpu: after.cpu - self.before.cpu,
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
