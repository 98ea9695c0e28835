//! The server's life: a SIGTERM mid-upload stops it cleanly and the upload resumes after a
//! restart; the first run without `FERRY_ADMIN_PASSWORD` prints a random admin password once.

use crate::support::{
    PASSWORD, Raw, Server, code, fails_with, free_port, md5_file, ok, random_file_in,
    spawn_slow_put, stderr, wait_for,
};

/// Log or output lines that would mean the shutdown was not clean.
fn alarming(line: &str) -> bool {
    ["WARN", "ERROR", "panicked", "error[", "internal"]
        .iter()
        .any(|word| line.contains(word))
}

#[test]
fn sigterm_during_an_upload_stops_cleanly_and_the_upload_resumes_after_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // Info level, so the log has lines whose form (no colour codes in a pipe) is checked too.
    let mut server = Server::start_collecting_stderr(&data, free_port(), |serve| {
        serve.env("FERRY_LOG", "info");
    });
    let local = random_file_in(tmp.path(), "big", 48 * 1024 * 1024, 11);
    let client = spawn_slow_put(&server, &local, "/big", 0);
    let mut idle = Raw::logged_in(server.addr);
    wait_for(60, "the first 8 MiB", || {
        server.staging_bytes() >= 8 * 1024 * 1024
    });

    server.terminate();
    let told = idle.recv().expect("a last frame before the close");
    assert_eq!(code(&told.header), "shutting_down");
    assert!(idle.is_closed());
    let status = server.wait_exit(15);
    assert!(status.success(), "exit status after SIGTERM: {status}");
    let stdout = server.stdout();
    assert_eq!(
        stdout.last().map(String::as_str),
        Some("ferry: stopped"),
        "stdout: {stdout:#?}"
    );
    let noise: Vec<String> = stdout
        .iter()
        .chain(&server.stderr())
        .filter(|l| alarming(l))
        .cloned()
        .collect();
    assert!(
        noise.is_empty(),
        "a clean stop logs no problems: {noise:#?}"
    );
    let log = server.stderr();
    assert!(
        log.iter().any(|l| l.contains("shutdown requested")),
        "the log says why it stops: {log:#?}"
    );
    assert!(
        !log.iter().any(|l| l.contains('\x1b')),
        "a log that is not a terminal carries no colour codes: {log:#?}"
    );
    let cut = client.wait_with_output().unwrap();
    assert!(
        !cut.status.success(),
        "with --retries 0 the put cannot have finished: {}",
        stderr(&cut)
    );
    assert!(!server.home("admin").join("big").exists());
    let held = server.staging_bytes();
    assert!(
        (8 * 1024 * 1024..48 * 1024 * 1024).contains(&held),
        "staging kept the bytes received: {held}"
    );

    server.restart();
    let out = server.cli(&["put", local.to_str().unwrap(), "/big"]);
    ok(&out);
    let note = stderr(&out);
    let resumed_at: u64 = note
        .split("resuming at ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("put says where it resumes: {note}"));
    assert!(resumed_at > 0, "{note}");
    assert_eq!(server.md5_of("admin", "big"), md5_file(&local));
}

/// The password from `ferry: created user admin with password XXXX`, if printed.
fn printed_password(lines: &[String]) -> Option<String> {
    lines.iter().find_map(|l| {
        l.strip_prefix("ferry: created user admin with password ")
            .map(|p| p.trim().to_string())
    })
}

#[test]
fn first_run_prints_a_random_admin_password_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let addr = free_port();
    let first_run = || {
        Server::start_collecting_stderr(&data, addr, |serve| {
            serve.env_remove("FERRY_ADMIN_PASSWORD");
        })
    };

    let mut server = first_run();
    let lines = server.stdout();
    let password = printed_password(&lines).unwrap_or_else(|| panic!("{lines:#?}"));
    assert!(password.len() >= 16, "a strong password: {password:?}");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains(password.as_str()))
            .count(),
        1,
        "printed once: {lines:#?}"
    );
    ok(&server.cli_as("admin", &password, &["ls"]));
    fails_with(&server.cli_as("admin", PASSWORD, &["ls"]), "auth_failed");

    server.terminate();
    assert!(server.wait_exit(15).success());
    let mut again = first_run();
    let lines = again.stdout();
    assert!(printed_password(&lines).is_none(), "{lines:#?}");
    assert!(
        !lines.iter().any(|l| l.contains("created user")),
        "{lines:#?}"
    );
    ok(&again.cli_as("admin", &password, &["ls"]));
    again.terminate();
    assert!(again.wait_exit(15).success());
    let logged = again.stderr();
    assert!(
        !logged.iter().any(|l| l.contains(password.as_str())),
        "the password never reaches the log: {logged:#?}"
    );
}
