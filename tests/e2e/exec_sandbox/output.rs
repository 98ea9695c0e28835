//! Command output: argv kept literal, bytes exactly as written, each stream in order, and the
//! per-stream cap holding memory flat however much a command prints.

use super::{argv, run, setup, sh, text};

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
