//! The server side of one command: the launcher in its own process group, a wall-clock limit
//! that kills the whole group, and two capped readers feeding one bounded event channel.
//!
//! ```text
//!   stdout pipe ──► pump (cap, ≤64 KiB chunks) ──┐
//!                                                 ├─► bounded channel ──► ExecRun::next()
//!   stderr pipe ──► pump (cap, ≤64 KiB chunks) ──┘          ▲
//!   supervise: wait or timeout → kill group → drain pumps → Exit (always last)
//! ```
//!
//! The supervisor is also where a command's end is counted: `ferry_exec_runs_total` by result
//! and `ferry_exec_duration_seconds` (refusals before a start are counted by the core).

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rustix::process::{Pid, Signal, kill_process_group};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::error::{ExecError as Error, Result};
use crate::launch::{LAUNCH_SPEC_ENV, LaunchSpec};
use crate::{ExecEvent, ExecExit, ExecStream};

/// Largest output chunk in one event.
pub const CHUNK_MAX: usize = 64 * 1024;

/// Events buffered between the readers and the consumer.
const CHANNEL_DEPTH: usize = 16;

/// How long the readers may still drain the pipes once the command's group is dead. Only a
/// process that left the group (`setsid`) can hold a pipe open that long.
const DRAIN_GRACE: Duration = Duration::from_secs(1);

/// A running command. [`ExecRun::next`] yields its output in arrival order, then one
/// [`ExecEvent::Exit`]. Dropping it kills the command's whole process group.
#[derive(Debug)]
pub struct ExecRun {
    events: mpsc::Receiver<ExecEvent>,
    group: Arc<Group>,
}

impl ExecRun {
    /// The next event; `None` after the `Exit` event.
    pub async fn next(&mut self) -> Option<ExecEvent> {
        self.events.recv().await
    }
}

impl Drop for ExecRun {
    fn drop(&mut self) {
        self.group.kill();
    }
}

/// The command's process group, until it has been reaped and swept.
#[derive(Debug)]
struct Group(Mutex<Option<Pid>>);

impl Group {
    fn kill(&self) {
        if let Some(pid) = *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            // ESRCH (already gone) is the common, harmless case.
            let _ = kill_process_group(pid, Signal::KILL);
        }
    }

    /// Kills what is left of the group after its leader was reaped (background children
    /// still holding the pipes), then forgets it so no later kill can hit a reused id.
    fn sweep(&self) {
        let mut g = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(pid) = g.take() {
            let _ = kill_process_group(pid, Signal::KILL);
        }
    }
}

/// Starts `launcher` on `spec`; `finished` is called once with the command's exit when it
/// has ended (whoever reads the events, or none), and is what holds the caller's per-user
/// slot until then.
pub fn start(
    launcher: &Path,
    spec: &LaunchSpec,
    timeout: Duration,
    cap: u64,
    finished: impl FnOnce(&ExecExit) + Send + 'static,
) -> Result<ExecRun> {
    let json = serde_json::to_string(spec).map_err(Error::internal)?;
    let started = Instant::now();
    let mut child = tokio::process::Command::new(launcher)
        .arg("__exec-launch")
        .env_clear()
        .env(LAUNCH_SPEC_ENV, json)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(Error::internal)?;
    let pid = child
        .id()
        .and_then(|id| Pid::from_raw(i32::try_from(id).ok()?))
        .ok_or_else(|| Error::internal("the launcher has no process id"))?;
    let group = Arc::new(Group(Mutex::new(Some(pid))));
    let (tx, rx) = mpsc::channel(CHANNEL_DEPTH);
    let stop = CancellationToken::new();
    let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        group.sweep();
        return Err(Error::internal("the launcher's pipes are missing"));
    };
    let pumps = [
        tokio::spawn(pump(out, ExecStream::Stdout, cap, tx.clone(), stop.clone())),
        tokio::spawn(pump(err, ExecStream::Stderr, cap, tx.clone(), stop.clone())),
    ];
    tokio::spawn(supervise(
        child,
        group.clone(),
        pumps,
        tx,
        stop,
        started,
        timeout,
        finished,
    ));
    Ok(ExecRun { events: rx, group })
}

/// What one reader saw.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    bytes: u64,
    truncated: bool,
}

/// Reads one pipe to its end, forwarding up to `cap` bytes and counting the rest.
async fn pump(
    mut pipe: impl AsyncRead + Unpin,
    stream: ExecStream,
    cap: u64,
    tx: mpsc::Sender<ExecEvent>,
    stop: CancellationToken,
) -> Tally {
    let mut buf = vec![0u8; CHUNK_MAX];
    let mut tally = Tally::default();
    let mut receiver_gone = false;
    loop {
        let n = tokio::select! {
            biased;
            r = pipe.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
            _ = stop.cancelled() => break,
        };
        let kept = tally.bytes.min(cap);
        tally.bytes += n as u64;
        let room = usize::try_from(cap - kept).unwrap_or(usize::MAX);
        let take = n.min(room);
        if take < n {
            tally.truncated = true;
        }
        if take > 0 && !receiver_gone {
            let chunk = Bytes::copy_from_slice(&buf[..take]);
            receiver_gone = tx.send(ExecEvent::Output(stream, chunk)).await.is_err();
        }
    }
    tally
}

#[allow(clippy::too_many_arguments)]
async fn supervise(
    mut child: tokio::process::Child,
    group: Arc<Group>,
    pumps: [JoinHandle<Tally>; 2],
    tx: mpsc::Sender<ExecEvent>,
    stop: CancellationToken,
    started: Instant,
    timeout: Duration,
    finished: impl FnOnce(&ExecExit),
) {
    let deadline = tokio::time::Instant::from_std(started + timeout);
    let (status, timed_out) = tokio::select! {
        s = child.wait() => (s.ok(), false),
        _ = tokio::time::sleep_until(deadline) => {
            group.kill();
            (child.wait().await.ok(), true)
        }
    };
    let duration = started.elapsed();
    group.sweep();
    let drain_stop = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(DRAIN_GRACE).await;
        drain_stop.cancel();
    });
    let [out, err] = pumps;
    let out = out.await.unwrap_or_default();
    let err = err.await.unwrap_or_default();
    stop.cancel();
    let exit = ExecExit {
        code: status.and_then(|s| s.code()),
        signal: status.and_then(|s| s.signal()),
        timed_out,
        duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        stdout_bytes: out.bytes,
        stderr_bytes: err.bytes,
        stdout_truncated: out.truncated,
        stderr_truncated: err.truncated,
    };
    finished(&exit);
    count(&exit, duration);
    let _ = tx.send(ExecEvent::Exit(exit)).await;
}

/// Counts a command that ran, by how it ended.
fn count(exit: &ExecExit, duration: Duration) {
    use ferry_metrics::catalog::{EXEC_DURATION, EXEC_RUNS};
    use ferry_metrics::metrics;
    let result = match (exit.timed_out, exit.code, exit.signal) {
        (true, _, _) => "timed_out",
        (false, Some(0), _) => "ok",
        (false, Some(_), _) => "failed",
        (false, None, _) => "killed",
    };
    metrics::counter!(EXEC_RUNS, "result" => result).increment(1);
    metrics::histogram!(EXEC_DURATION).record(duration.as_secs_f64());
}

/// Starts the launcher in probe mode: it sets up the same limits and Landlock ruleset as for a
/// command (without a home) and reports how much of the confinement the kernel enforced. The
/// server logs this at start.
pub async fn probe(config: &crate::ExecConfig, data_dir: &Path) -> Result<crate::SandboxReport> {
    let launcher = config
        .launcher
        .as_ref()
        .ok_or_else(|| Error::Denied("command execution is not available".into()))?;
    let spec = LaunchSpec {
        program: None,
        arg0: String::new(),
        args: Vec::new(),
        home: data_dir.to_path_buf(),
        cwd: data_dir.to_path_buf(),
        data_dir: data_dir.to_path_buf(),
        path: config.path.clone(),
        limits: config.limits.clone(),
        network: config.network,
    };
    let json = serde_json::to_string(&spec).map_err(Error::internal)?;
    let out = tokio::process::Command::new(launcher)
        .arg("__exec-launch")
        .env_clear()
        .env(LAUNCH_SPEC_ENV, json)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(10), out)
        .await
        .map_err(|_| Error::internal("the exec launcher probe did not answer"))?
        .map_err(Error::internal)?;
    if !out.status.success() {
        return Err(Error::internal(format!(
            "the exec launcher probe failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    serde_json::from_slice(&out.stdout).map_err(Error::internal)
}
