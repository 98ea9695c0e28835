//! What the launcher confines: Landlock on the filesystem, a clean environment, the working
//! folder, resource limits, and programs outside the policy that never start.

use std::path::{Path, PathBuf};

use super::{argv, run, setup, sh, text, unique};

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
