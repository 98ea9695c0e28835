//! Exec policy in the core, without the sandboxing launcher: parsing, and refusals that happen
//! before anything is spawned. The launcher-based behaviour is tested end-to-end
//! (`tests/e2e/exec_sandbox.rs`), since the launcher is the `ferry` binary.
//!
//! "Nothing spawned" is checked with a stand-in launcher: a script that records that it ran.
//! A permitted request runs it (the positive control); a refused one must not.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ferry_core::exec::policy::resolve;
use ferry_core::{Config, ExecCommand, ExecEvent, ExecPolicy, ExecRequest, Session, Username};

fn user(name: &str) -> Username {
    name.parse().unwrap()
}

fn argv(a: &[&str]) -> ExecCommand {
    ExecCommand::Argv(a.iter().map(|s| s.to_string()).collect())
}

fn req(command: ExecCommand) -> ExecRequest {
    ExecRequest {
        command,
        cwd: None,
        timeout: None,
    }
}

/// A stand-in launcher that touches `marker` when started.
fn recording_launcher(dir: &Path) -> (PathBuf, PathBuf) {
    let marker = dir.join("launcher-ran");
    let script = dir.join("fake-launcher.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\ntouch '{}'\n", marker.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, marker)
}

async fn setup(data: &Path, launcher: Option<PathBuf>, policy: ExecPolicy) -> Session {
    let mut config = Config::new(data);
    config.exec.launcher = launcher;
    let ferry = ferry_store_local::open(config).await.unwrap();
    ferry
        .add_user(user("alice"), "pw".into(), None)
        .await
        .unwrap();
    ferry.set_exec(user("alice"), policy).await.unwrap();
    Session::trusted(&ferry, user("alice")).await.unwrap()
}

fn code<T, E: Into<ferry_core::Error>>(r: Result<T, E>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.into().code(),
    }
}

#[test]
fn policy_text_round_trips_and_rejects_paths_and_empties() {
    for text in ["off", "shell", "allow:ls", "allow:ls,df,tar"] {
        let p: ExecPolicy = text.parse().unwrap();
        assert_eq!(p.to_string(), text);
    }
    assert_eq!(
        "allow:ls,df".parse::<ExecPolicy>().unwrap(),
        ExecPolicy::Allow(vec!["ls".into(), "df".into()])
    );
    for bad in [
        "",
        "on",
        "allow:",
        "allow:ls,",
        "allow:/bin/ls",
        "allow:../ls",
        "allow:l s",
        "allow:..",
        "Shell",
    ] {
        assert_eq!(
            bad.parse::<ExecPolicy>().map_err(|e| e.code()),
            Err("bad_request"),
            "{bad:?}"
        );
    }
}

#[test]
fn policy_serializes_as_its_text_and_accounts_default_to_off() {
    let json = serde_json::to_string(&ExecPolicy::Allow(vec!["ls".into()])).unwrap();
    assert_eq!(json, "\"allow:ls\"");
    assert_eq!(
        serde_json::from_str::<ExecPolicy>("\"shell\"").unwrap(),
        ExecPolicy::Shell
    );
    assert!(serde_json::from_str::<ExecPolicy>("\"allow:/bin/sh\"").is_err());
    assert_eq!(ExecPolicy::default(), ExecPolicy::Off);
}

#[test]
fn plan_resolves_allowed_names_on_the_fixed_path_only() {
    let path = "/usr/local/bin:/usr/bin:/bin";
    let allow = ExecPolicy::Allow(vec!["ls".into(), "no-such-prog-ferry".into()]);
    let plan = allow.plan(&argv(&["ls", "-l", "$(id)"]), path).unwrap();
    assert!(plan.program.is_absolute(), "{plan:?}");
    assert_eq!(plan.program, resolve("ls", path).unwrap());
    assert_eq!(plan.args, vec!["-l", "$(id)"]);
    assert_eq!(
        code(allow.plan(&argv(&["no-such-prog-ferry"]), path)),
        "exec_not_found"
    );
    // Not on this PATH, even though it exists elsewhere.
    assert_eq!(
        code(allow.plan(&argv(&["ls"]), "/nonexistent")),
        "exec_not_found"
    );
    assert_eq!(code(allow.plan(&argv(&["/bin/ls"]), path)), "exec_denied");
    assert_eq!(code(allow.plan(&argv(&["./ls"]), path)), "exec_denied");
    assert_eq!(code(allow.plan(&argv(&["cat"]), path)), "exec_denied");
    assert_eq!(
        code(allow.plan(&ExecCommand::Shell("ls".into()), path)),
        "exec_denied"
    );
    assert_eq!(code(allow.plan(&argv(&[]), path)), "bad_request");
    assert_eq!(
        code(allow.plan(&argv(&["ls", "a\0b"]), path)),
        "bad_request"
    );

    let shell = ExecPolicy::Shell;
    let plan = shell
        .plan(&ExecCommand::Shell("echo hi".into()), path)
        .unwrap();
    assert_eq!(plan.program, Path::new("/bin/sh"));
    assert_eq!(plan.args, vec!["-c", "echo hi"]);
    assert!(shell.plan(&argv(&["ls"]), path).is_ok());
    assert_eq!(
        code(ExecPolicy::Off.plan(&argv(&["ls"]), path)),
        "exec_denied"
    );
}

#[tokio::test]
async fn refused_requests_spawn_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (launcher, marker) = recording_launcher(dir.path());
    let cases = [
        (ExecPolicy::Off, argv(&["true"])),
        (
            ExecPolicy::Allow(vec!["true".into()]),
            argv(&["touch", "x"]),
        ),
        (ExecPolicy::Allow(vec!["true".into()]), argv(&["/bin/true"])),
        (
            ExecPolicy::Allow(vec!["true".into()]),
            ExecCommand::Shell("true".into()),
        ),
    ];
    for (i, (policy, command)) in cases.into_iter().enumerate() {
        let data = dir.path().join(format!("data{i}"));
        let s = setup(&data, Some(launcher.clone()), policy.clone()).await;
        let r = s.exec(req(command.clone())).await;
        assert_eq!(code(r), "exec_denied", "{policy} {command:?}");
        assert!(
            !marker.exists(),
            "{policy} {command:?} spawned the launcher"
        );
    }

    // Positive control: the same stand-in launcher does run for a permitted command.
    let s = setup(
        &dir.path().join("ok"),
        Some(launcher.clone()),
        ExecPolicy::Allow(vec!["true".into()]),
    )
    .await;
    let mut run = s.exec(req(argv(&["true"]))).await.unwrap();
    let mut last = None;
    while let Some(ev) = tokio::time::timeout(Duration::from_secs(10), run.next())
        .await
        .unwrap()
    {
        last = Some(ev);
    }
    assert!(matches!(last, Some(ExecEvent::Exit(e)) if e.code == Some(0)));
    assert!(
        marker.exists(),
        "the positive control did not run the launcher"
    );
}

#[tokio::test]
async fn exec_without_a_launcher_is_denied_even_when_the_policy_allows() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup(dir.path(), None, ExecPolicy::Shell).await;
    assert_eq!(code(s.exec(req(argv(&["true"]))).await), "exec_denied");
    assert_eq!(s.exec_policy().await.unwrap(), ExecPolicy::Shell);
}

#[tokio::test]
async fn cwd_must_be_an_existing_folder_inside_the_home() {
    let dir = tempfile::tempdir().unwrap();
    let (launcher, marker) = recording_launcher(dir.path());
    let s = setup(&dir.path().join("d"), Some(launcher), ExecPolicy::Shell).await;
    for (cwd, want) in [
        ("../..", "path_outside_home"),
        ("/nope", "not_found"),
        ("missing", "not_found"),
    ] {
        let mut r = req(argv(&["true"]));
        r.cwd = Some(cwd.into());
        assert_eq!(code(s.exec(r).await), want, "{cwd}");
    }
    assert!(!marker.exists());
}

#[tokio::test]
async fn set_exec_is_seen_by_a_running_session_and_by_list_users() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup(dir.path(), None, ExecPolicy::Off).await;
    let mut config = Config::new(dir.path());
    config.exec.launcher = None;
    let admin = ferry_store_local::open(config).await.unwrap();
    admin
        .set_exec(user("alice"), "allow:ls,df".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        s.exec_policy().await.unwrap(),
        ExecPolicy::Allow(vec!["ls".into(), "df".into()])
    );
    let users = admin.list_users().await.unwrap();
    assert_eq!(users[0].exec.to_string(), "allow:ls,df");
    assert_eq!(
        code(admin.set_exec(user("nobody"), ExecPolicy::Shell).await),
        "user_not_found"
    );
}

#[tokio::test]
async fn profile_reports_the_policy_the_server_applies_and_the_quota() {
    let dir = tempfile::tempdir().unwrap();
    let (launcher, _marker) = recording_launcher(dir.path());
    let s = setup(
        &dir.path().join("with"),
        Some(launcher),
        "allow:df".parse().unwrap(),
    )
    .await;
    let p = s.profile().await.unwrap();
    assert_eq!(p.user, user("alice"));
    assert_eq!(p.exec, ExecPolicy::Allow(vec!["df".into()]));
    assert_eq!((p.quota.used, p.quota.limit), (0, None));

    // The account allows a shell, but this server cannot run anything: the profile says so
    // rather than offering what every request would refuse.
    let s = setup(&dir.path().join("without"), None, ExecPolicy::Shell).await;
    assert_eq!(s.profile().await.unwrap().exec, ExecPolicy::Off);
    assert_eq!(s.exec_policy().await.unwrap(), ExecPolicy::Shell);
}

fn plan_args(policy: &str, a: &[&str]) -> Result<Vec<String>, String> {
    let p: ExecPolicy = policy.parse().unwrap();
    p.plan(&argv(a), "/usr/local/bin:/usr/bin:/bin")
        .map(|plan| plan.args)
        .map_err(|e| e.code().to_string())
}

#[test]
fn allow_list_rules_parse_and_round_trip_next_to_plain_names() {
    let p: ExecPolicy = "allow:df,tar[-t,-v,-f],ls[-l]!,cat!,du".parse().unwrap();
    assert_eq!(
        p,
        ExecPolicy::Allow(vec![
            "df".into(),
            "tar[-t,-v,-f]".into(),
            "ls[-l]!".into(),
            "cat!".into(),
            "du".into()
        ])
    );
    assert_eq!(p.to_string(), "allow:df,tar[-t,-v,-f],ls[-l]!,cat!,du");
    for bad in [
        "allow:tar[-t",
        "allow:tar[t]",
        "allow:tar[--]",
        "allow:tar[-t]x",
        "allow:[-t]",
        "allow:tar[-a=b]",
    ] {
        assert!(bad.parse::<ExecPolicy>().is_err(), "{bad} parsed");
    }
    assert_eq!(
        "allow:tar[]".parse::<ExecPolicy>().unwrap().to_string(),
        "allow:tar[]"
    );
}

#[test]
fn allow_list_rules_refuse_unlisted_options_with_their_own_code() {
    let tar = "allow:tar[-t,-v,-f]";
    assert_eq!(
        plan_args(tar, &["tar", "-t", "-v", "-f", "a.tar"]).unwrap(),
        vec!["-t", "-v", "-f", "a.tar"]
    );
    for refused in [
        &[
            "tar",
            "-c",
            "-f",
            "x",
            "--checkpoint=1",
            "--checkpoint-action=exec=sh",
        ][..],
        &["tar", "-t", "-f", "a.tar", "--to-command=sh"],
        &["tar", "-tvf", "a.tar"],
        &["tar", "-f", "-I", "sh"],
    ] {
        assert_eq!(
            plan_args(tar, refused),
            Err("exec_argument_refused".into()),
            "{refused:?}"
        );
    }
    // A bare `-` is an operand; the user's own `--` passes but ends no checking (`find --
    // . -exec …` still runs `-exec`, so nothing after a `--` can be trusted to be inert).
    assert_eq!(
        plan_args(tar, &["tar", "-t", "-f", "-", "--", "a"]).unwrap(),
        vec!["-t", "-f", "-", "--", "a"]
    );
    assert_eq!(
        plan_args(
            tar,
            &["tar", "-t", "-f", "-", "--", "--checkpoint-action=x"]
        ),
        Err("exec_argument_refused".into())
    );
    // Old-style options (`tar tvf`) are checked letter by letter.
    assert_eq!(
        plan_args(tar, &["tar", "tvf", "a.tar"]).unwrap(),
        vec!["tvf", "a.tar"]
    );
    assert_eq!(
        plan_args(tar, &["tar", "tIf", "sh -c id", "a.tar"]),
        Err("exec_argument_refused".into())
    );
    // Long options are matched by the part before `=`.
    assert_eq!(
        plan_args("allow:ls[--color]", &["ls", "--color=never"]).unwrap(),
        vec!["--color=never"]
    );
    assert_eq!(
        plan_args("allow:ls[]", &["ls", "-l"]),
        Err("exec_argument_refused".into())
    );
    // Plain entries keep taking any argument.
    assert_eq!(
        plan_args("allow:tar", &["tar", "--checkpoint=1"]).unwrap(),
        vec!["--checkpoint=1"]
    );
}

#[test]
fn bang_entries_put_end_of_options_before_the_first_operand() {
    assert_eq!(
        plan_args("allow:cat!", &["cat", "a", "b"]).unwrap(),
        vec!["--", "a", "b"]
    );
    for refused in [&["cat", "-n"][..], &["cat", "a", "-n", "--help"]] {
        assert_eq!(
            plan_args("allow:cat!", refused),
            Err("exec_argument_refused".into()),
            "{refused:?}"
        );
    }
    assert_eq!(
        plan_args("allow:ls[-l]!", &["ls", "-l", "x", "-a"]),
        Err("exec_argument_refused".into())
    );
    assert_eq!(
        plan_args("allow:ls[-l]!", &["ls", "-l", "--", "x"]).unwrap(),
        vec!["-l", "--", "x"]
    );
    // An operand right after an option may be its value (`-f x.tar`): the `--` goes after it.
    assert_eq!(
        plan_args("allow:tar[-t,-f]!", &["tar", "-t", "-f", "x.tar", "a"]).unwrap(),
        vec!["-t", "-f", "x.tar", "--", "a"]
    );
}

#[test]
fn account_uids_are_stable_distinct_and_unprivileged() {
    use ferry_core::exec::isolate::{ACCOUNT_UID_BASE, account_uid};
    let (a, b) = (account_uid("alice"), account_uid("bob"));
    assert_ne!(a, b);
    assert_eq!(a, account_uid("alice"));
    // Pinned: a change would hand every home to a new owner on upgrade.
    assert_eq!(
        account_uid(""),
        ACCOUNT_UID_BASE + 0x811c_9dc5 % ACCOUNT_UID_BASE
    );
    for u in [a, b] {
        assert!((ACCOUNT_UID_BASE..2 * ACCOUNT_UID_BASE).contains(&u));
    }
}
