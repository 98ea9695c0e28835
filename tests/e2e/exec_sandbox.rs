//! Remote commands through the real launcher (`ferry __exec-launch`, the built binary), driven
//! through the core API in-process: process-group kills, output caps, environment, Landlock,
//! resource limits. The doors' own exec tests live in `exec_doors.rs`.
//!
//! This file is the harness: a service whose launcher is the built binary, and a run collected
//! into an [`Outcome`]. The tests are in `confinement`, `output` and `processes`.

mod confinement;
mod isolation;
mod output;
mod processes;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ferry_core::{
    Config, ExecCommand, ExecEvent, ExecExit, ExecRequest, ExecRun, ExecStream, Ferry, Session,
    Username,
};

struct Box_ {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    ferry: Ferry,
    alice: Session,
}

fn user(n: &str) -> Username {
    n.parse().unwrap()
}

async fn setup(policy: &str, tweak: impl FnOnce(&mut Config)) -> Box_ {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let data = std::fs::canonicalize(&data).unwrap();
    let mut config = Config::new(&data);
    config.exec.launcher = Some(PathBuf::from(env!("CARGO_BIN_EXE_ferry")));
    tweak(&mut config);
    let ferry = ferry_store_local::open(config).await.unwrap();
    for name in ["alice", "bob"] {
        ferry.add_user(user(name), "pw".into(), None).await.unwrap();
    }
    ferry
        .set_exec(user("alice"), policy.parse().unwrap())
        .await
        .unwrap();
    let alice = Session::trusted(&ferry, user("alice")).await.unwrap();
    Box_ {
        _tmp: tmp,
        data,
        ferry,
        alice,
    }
}

fn argv(a: &[&str]) -> ExecRequest {
    ExecRequest {
        command: ExecCommand::Argv(a.iter().map(|s| s.to_string()).collect()),
        cwd: None,
        timeout: None,
    }
}

fn sh(cmd: &str) -> ExecRequest {
    argv(&["sh", "-c", cmd])
}

/// A marker no other process on the machine has in its command line.
fn unique() -> String {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).unwrap();
    format!(
        "{}{:08}",
        std::process::id(),
        u32::from_le_bytes(b) % 100_000_000
    )
}

/// `sleep` with a unique duration, so `pgrep -f` finds exactly this process.
fn sleeper(tag: &str) -> String {
    format!("sleep 1000.{tag}")
}

/// Waits up to 2 s for the [`sleeper`] tagged `tag` to have gone (`what` names the death).
async fn sleeper_gone(tag: &str, what: &str) {
    wait_until(what, Duration::from_secs(2), || !running(&sleeper(tag))).await;
}

fn running(pattern: &str) -> bool {
    std::process::Command::new("pgrep")
        .args(["-f", pattern])
        .output()
        .expect("pgrep is needed by these tests")
        .status
        .success()
}

async fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < limit,
            "{what} did not happen within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[derive(Debug, Default)]
struct Outcome {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    exit: Option<ExecExit>,
    chunks: usize,
}

async fn collect(mut run: ExecRun) -> Outcome {
    let mut o = Outcome::default();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(30), run.next())
            .await
            .expect("no event within 30 s");
        match ev {
            Some(ExecEvent::Output(stream, bytes)) => {
                assert!(o.exit.is_none(), "output after Exit");
                assert!(!bytes.is_empty() && bytes.len() <= 64 * 1024);
                o.chunks += 1;
                match stream {
                    ExecStream::Stdout => o.stdout.extend_from_slice(&bytes),
                    ExecStream::Stderr => o.stderr.extend_from_slice(&bytes),
                }
            }
            Some(ExecEvent::Exit(e)) => {
                assert!(o.exit.is_none(), "two Exit events");
                o.exit = Some(e);
            }
            None => break,
        }
    }
    assert!(o.exit.is_some(), "the run ended without an Exit event");
    o
}

async fn run(s: &Session, r: ExecRequest) -> Outcome {
    collect(s.exec(r).await.unwrap()).await
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
