//! The command's processes: timeouts and drops kill the whole group, background children do
//! not hold the pipes open, exit codes and signals are reported, and per-user slots free up.

use std::time::{Duration, Instant};

use ferry_core::{ExecCommand, ExecPolicy, ExecRequest, Session};

use super::{
    collect, run, running, setup, sh, sleeper, sleeper_gone, text, unique, user, wait_until,
};

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
    sleeper_gone(&tag, "the grandchild's death").await;
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
    sleeper_gone(&tag, "the orphan's death").await;
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
    sleeper_gone(&tag, "the command's death after drop").await;
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
