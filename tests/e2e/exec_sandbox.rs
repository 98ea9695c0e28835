//! Remote commands through the real launcher (`ferry __exec-launch`, the built binary), driven
//! through the core API in-process: process-group kills, output caps, environment, Landlock,
//! resource limits. The doors' own exec tests live in `exec_doors.rs`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ferry_core::{
    Config, ExecCommand, ExecEvent, ExecExit, ExecPolicy, ExecRequest, ExecRun, ExecStream, Ferry,
    Session, Username,
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

#[tokio::test]
async fn landlock_is_fully_enforced_on_this_kernel() {
    let b = setup("off", |_| {}).await;
    let report = ferry_core::exec::probe(&b.ferry.config().exec, &b.data)
        .await
        .unwrap();
    assert!(
        report.fully_enforced(),
        "Landlock confinement is not fully enforced here ({report:?}); the exec sandbox \
         tests need a kernel with Landlock enabled (Linux >= 6.10 for full enforcement)"
    );
}

#[tokio::test]
async fn exec_argv_shell_metacharacters_stay_literal() {
    let b = setup("allow:echo", |_| {}).await;
    let o = run(
        &b.alice,
        argv(&["echo", "$(id)", ";", "&&", "|", "*", "`id`"]),
    )
    .await;
    assert_eq!(text(&o.stdout), "$(id) ; && | * `id`\n");
    assert_eq!(o.exit.unwrap().code, Some(0));
}

#[tokio::test]
async fn exec_timeout_kills_a_grandchild_holding_group_in_time() {
    let b = setup("shell", |_| {}).await;
    let tag = unique();
    let mut r = sh(&format!("{} & wait", sleeper(&tag)));
    r.timeout = Some(Duration::from_secs(1));
    let start = Instant::now();
    let o = run(&b.alice, r).await;
    let took = start.elapsed();
    let exit = o.exit.unwrap();
    assert!(exit.timed_out, "{exit:?}");
    assert_eq!(exit.signal, Some(9), "{exit:?}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    wait_until("the grandchild's death", Duration::from_secs(2), || {
        !running(&sleeper(&tag))
    })
    .await;
}

#[tokio::test]
async fn exec_background_child_does_not_hang_the_pipes() {
    let b = setup("shell", |_| {}).await;
    let tag = unique();
    let start = Instant::now();
    let o = run(&b.alice, sh(&format!("{} & echo started", sleeper(&tag)))).await;
    let exit = o.exit.unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert!(!exit.timed_out);
    assert_eq!(exit.code, Some(0));
    assert_eq!(text(&o.stdout), "started\n");
    wait_until("the orphan's death", Duration::from_secs(2), || {
        !running(&sleeper(&tag))
    })
    .await;
}

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn exec_yes_output_is_capped_with_flat_memory() {
    let b = setup("shell", |_| {}).await;
    let total: u64 = 400 * 1024 * 1024;
    let before = vm_hwm_kib();
    let o = run(
        &b.alice,
        sh(&format!("yes | head -c {total}; yes | head -c 3000000 >&2")),
    )
    .await;
    let after = vm_hwm_kib();
    let exit = o.exit.unwrap();
    assert_eq!(
        exit.code,
        Some(0),
        "{}",
        text(&o.stderr[..o.stderr.len().min(200)])
    );
    assert_eq!(o.stdout.len(), 1 << 20);
    assert!(o.stdout.chunks(2).all(|c| c == b"y\n"));
    assert!(exit.stdout_truncated);
    assert_eq!(exit.stdout_bytes, total);
    assert_eq!(o.stderr.len(), 1 << 20);
    assert!(exit.stderr_truncated);
    assert_eq!(exit.stderr_bytes, 3_000_000);
    let grew = after.saturating_sub(before);
    assert!(
        grew < 16 * 1024,
        "peak RSS grew by {grew} KiB while the command printed {} MiB",
        total >> 20
    );
}

#[tokio::test]
async fn exec_output_under_the_cap_is_not_truncated() {
    let b = setup("shell", |c| c.exec.output_cap = 1000).await;
    let o = run(
        &b.alice,
        sh("head -c 1000 /dev/zero; head -c 1001 /dev/zero >&2"),
    )
    .await;
    let exit = o.exit.unwrap();
    assert_eq!((o.stdout.len(), exit.stdout_truncated), (1000, false));
    assert_eq!((o.stderr.len(), exit.stderr_truncated), (1000, true));
    assert_eq!(exit.stderr_bytes, 1001);
}

#[tokio::test]
async fn exec_non_utf8_output_round_trips_exactly() {
    let b = setup("allow:printf", |_| {}).await;
    let o = run(&b.alice, argv(&["printf", r"\377\376\000abc\200\n"])).await;
    assert_eq!(o.stdout, b"\xff\xfe\x00abc\x80\n");
}

#[tokio::test]
async fn exec_server_environment_is_not_visible() {
    let b = setup("allow:env", |_| {}).await;
    let home = b.data.join("homes").join("alice");
    // Whatever the test process has (cargo sets CARGO_* for tests) must not leak.
    let server_vars: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| !["PATH", "HOME", "LANG"].contains(&k.as_str()))
        .collect();
    assert!(
        !server_vars.is_empty(),
        "the test process has no variable to leak"
    );
    let o = run(&b.alice, argv(&["env"])).await;
    let mut lines: Vec<String> = text(&o.stdout).lines().map(str::to_string).collect();
    lines.sort();
    assert_eq!(
        lines,
        vec![
            format!("HOME={}", home.display()),
            "LANG=C.UTF-8".to_string(),
            "PATH=/usr/local/bin:/usr/bin:/bin".to_string(),
        ]
    );
    for (k, _) in &server_vars {
        assert!(!text(&o.stdout).contains(&format!("{k}=")), "{k} leaked");
    }
}

#[tokio::test]
async fn exec_runs_in_the_requested_folder_inside_the_home() {
    let b = setup("allow:pwd", |_| {}).await;
    b.alice.mkdir("sub/deeper", true).await.unwrap();
    let mut r = argv(&["pwd"]);
    r.cwd = Some("sub/deeper".into());
    let o = run(&b.alice, r).await;
    let want = b.data.join("homes/alice/sub/deeper");
    assert_eq!(text(&o.stdout).trim_end(), want.to_str().unwrap());
}

#[tokio::test]
async fn exec_landlock_allows_writing_only_inside_the_home() {
    let b = setup("shell", |_| {}).await;
    let tag = unique();
    let outside = PathBuf::from(format!("/tmp/ferry-landlock-{tag}"));
    let state = b.data.join("state").join(format!("x-{tag}"));
    for target in [&outside, &state] {
        let o = run(&b.alice, argv(&["touch", target.to_str().unwrap()])).await;
        assert_ne!(
            o.exit.unwrap().code,
            Some(0),
            "touch {} succeeded",
            target.display()
        );
        assert!(!target.exists(), "{} was created", target.display());
    }
    // The positive control: the home is writable.
    let o = run(&b.alice, sh("echo kept > inside && cat inside")).await;
    assert_eq!(text(&o.stdout), "kept\n", "{}", text(&o.stderr));
    assert!(b.data.join("homes/alice/inside").exists());
}

#[tokio::test]
async fn exec_landlock_hides_other_homes_and_ferry_state() {
    let b = setup("shell", |_| {}).await;
    let secret = b.data.join("homes/bob/secret.txt");
    std::fs::write(&secret, "bob's secret").unwrap();
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "bob's secret");
    let o = run(&b.alice, argv(&["cat", secret.to_str().unwrap()])).await;
    assert_ne!(o.exit.unwrap().code, Some(0));
    assert!(!text(&o.stdout).contains("secret"));
    let relative = run(&b.alice, argv(&["cat", "../bob/secret.txt"])).await;
    assert_ne!(relative.exit.unwrap().code, Some(0));
    assert!(relative.stdout.is_empty());
    for dir in [b.data.join("homes"), b.data.join("state")] {
        let o = run(&b.alice, argv(&["ls", dir.to_str().unwrap()])).await;
        assert_ne!(
            o.exit.unwrap().code,
            Some(0),
            "ls {}: {}",
            dir.display(),
            text(&o.stdout)
        );
    }
}

#[tokio::test]
async fn exec_drop_kills_the_command() {
    let b = setup("shell", |_| {}).await;
    let tag = unique();
    let run = b
        .alice
        .exec(sh(&format!("{} & wait", sleeper(&tag))))
        .await
        .unwrap();
    wait_until("the command's start", Duration::from_secs(5), || {
        running(&sleeper(&tag))
    })
    .await;
    drop(run);
    wait_until(
        "the command's death after drop",
        Duration::from_secs(2),
        || !running(&sleeper(&tag)),
    )
    .await;
}

#[tokio::test]
async fn exec_stream_order_is_preserved_per_stream() {
    let b = setup("shell", |_| {}).await;
    let n = 3000;
    let o = run(
        &b.alice,
        sh(&format!(
            "i=0; while [ $i -lt {n} ]; do i=$((i+1)); echo out$i; echo err$i >&2; done"
        )),
    )
    .await;
    let want = |p: &str| (1..=n).map(|i| format!("{p}{i}\n")).collect::<String>();
    assert_eq!(text(&o.stdout), want("out"));
    assert_eq!(text(&o.stderr), want("err"));
    assert_eq!(o.exit.unwrap().code, Some(0));
}

#[tokio::test]
async fn exec_reports_exit_codes_and_signals() {
    let b = setup("shell", |_| {}).await;
    let e = run(&b.alice, sh("exit 3")).await.exit.unwrap();
    assert_eq!((e.code, e.signal, e.timed_out), (Some(3), None, false));
    let e = run(&b.alice, sh("kill -TERM $$")).await.exit.unwrap();
    assert_eq!((e.code, e.signal, e.timed_out), (None, Some(15), false));
    let shell = ExecRequest {
        command: ExecCommand::Shell("echo $((40 + 2)) | tr 4 x".into()),
        cwd: None,
        timeout: None,
    };
    let o = run(&b.alice, shell).await;
    assert_eq!(text(&o.stdout), "x2\n");
}

#[tokio::test]
async fn exec_concurrency_cap_per_user() {
    let b = setup("shell", |c| c.exec.max_per_user = 2).await;
    let first = b.alice.exec(sh("sleep 30")).await.unwrap();
    let _second = b.alice.exec(sh("sleep 30")).await.unwrap();
    let third = b.alice.exec(sh("true")).await;
    assert_eq!(third.map(|_| ()).unwrap_err().code(), "limit_reached");
    // Another user is not affected.
    b.ferry
        .set_exec(user("bob"), ExecPolicy::Shell)
        .await
        .unwrap();
    let bob = Session::trusted(&b.ferry, user("bob")).await.unwrap();
    assert_eq!(run(&bob, sh("true")).await.exit.unwrap().code, Some(0));
    drop(first);
    let start = Instant::now();
    loop {
        match b.alice.exec(sh("true")).await {
            Ok(r) => {
                assert_eq!(collect(r).await.exit.unwrap().code, Some(0));
                break;
            }
            Err(e) => {
                assert_eq!(e.code(), "limit_reached");
                assert!(start.elapsed() < Duration::from_secs(3), "slot never freed");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

#[tokio::test]
async fn exec_timeout_is_clamped_to_the_server_and_account_maximum() {
    let b = setup("shell", |c| c.exec.max_timeout = Duration::from_secs(2)).await;
    let mut r = sh("sleep 20");
    r.timeout = Some(Duration::from_secs(100));
    let start = Instant::now();
    let e = run(&b.alice, r.clone()).await.exit.unwrap();
    assert!(e.timed_out);
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    b.ferry
        .set_exec_max_timeout(user("alice"), Some(1))
        .await
        .unwrap();
    let start = Instant::now();
    let e = run(&b.alice, r).await.exit.unwrap();
    assert!(e.timed_out);
    assert!(
        start.elapsed() < Duration::from_millis(2500),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn exec_resource_limits_apply_to_the_command() {
    let b = setup("shell", |c| {
        c.exec.limits.open_files = Some(64);
        c.exec.limits.file_size = Some(1 << 20);
        c.exec.limits.cpu_secs = Some(7);
    })
    .await;
    let o = run(&b.alice, sh("ulimit -n; ulimit -t")).await;
    assert_eq!(text(&o.stdout), "64\n7\n");
    let o = run(&b.alice, sh("head -c 2000000 /dev/zero > big")).await;
    assert_ne!(o.exit.unwrap().code, Some(0));
    let size = std::fs::metadata(b.data.join("homes/alice/big"))
        .unwrap()
        .len();
    assert!(size <= 1 << 20, "wrote {size} bytes past RLIMIT_FSIZE");
}

#[tokio::test]
async fn exec_denied_and_not_found_spawn_nothing_with_the_real_launcher() {
    let b = setup("allow:touch,no-such-prog-ferry", |_| {}).await;
    let cases = [
        (argv(&["mkdir", "made"]), "exec_denied"),
        (argv(&["/usr/bin/touch", "made"]), "exec_denied"),
        (sh("touch made"), "exec_denied"),
        (argv(&["no-such-prog-ferry"]), "exec_not_found"),
    ];
    for (r, want) in cases {
        let got = b.alice.exec(r.clone()).await.map(|_| ()).unwrap_err();
        assert_eq!(got.code(), want, "{r:?}");
    }
    assert!(!Path::new(&b.data.join("homes/alice/made")).exists());
    // The allowed program works.
    let o = run(&b.alice, argv(&["touch", "made"])).await;
    assert_eq!(o.exit.unwrap().code, Some(0), "{}", text(&o.stderr));
    assert!(b.data.join("homes/alice/made").exists());
}
