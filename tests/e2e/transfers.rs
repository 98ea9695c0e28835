//! Put and get through the `ferry` CLI: exact bytes, resume after a killed client or a
//! `kill -9`'d server, many clients at once.

use std::process::Stdio;
use std::time::Duration;

use crate::support::{Server, md5_file, ok, random_file, random_file_in, spawn_slow_put, wait_for};

#[test]
fn put_and_get_round_trip_exactly_for_edge_sizes() {
    let server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    for (i, size) in [0u64, 1, 1024 * 1024 + 1, 64 * 1024 * 1024]
        .into_iter()
        .enumerate()
    {
        let local = tmp.path().join(format!("in{i}"));
        random_file(&local, size, i as u64 + 1);
        let remote = format!("/f{i}.bin");
        ok(&server.cli(&["put", local.to_str().unwrap(), &remote]));
        let stored = server.home("admin").join(format!("f{i}.bin"));
        assert_eq!(
            md5_file(&stored),
            md5_file(&local),
            "stored bytes of {size}"
        );
        let back = tmp.path().join(format!("out{i}"));
        ok(&server.cli(&["get", &remote, back.to_str().unwrap()]));
        assert_eq!(
            md5_file(&back),
            md5_file(&local),
            "downloaded bytes of {size}"
        );
        assert!(!tmp.path().join(format!("out{i}.part")).exists());
    }
    assert_eq!(
        std::fs::read_dir(server.data.join("state/staging"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn put_refuses_to_replace_unless_overwrite_and_skips_identical_content() {
    let server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    random_file(&a, 4096, 1);
    random_file(&b, 4096, 2);
    ok(&server.cli(&["put", a.to_str().unwrap(), "/x"]));
    let same = ok(&server.cli(&["put", a.to_str().unwrap(), "/x"]));
    assert!(same.to_lowercase().contains("up to date"), "{same}");
    let refused = server.cli(&["put", b.to_str().unwrap(), "/x"]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("error[already_exists]"), "{err}");
    assert_eq!(server.md5_of("admin", "x"), md5_file(&a));
    ok(&server.cli(&["put", "--overwrite", b.to_str().unwrap(), "/x"]));
    assert_eq!(server.md5_of("admin", "x"), md5_file(&b));
}

/// The value once it has stopped changing (the server may still be writing chunks that were
/// in flight when the client died).
fn settled(mut f: impl FnMut() -> u64) -> u64 {
    let mut last = f();
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let now = f();
        if now == last {
            return now;
        }
        last = now;
    }
}

#[test]
fn a_killed_client_put_resumes_where_it_stopped() {
    let server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let local = random_file_in(tmp.path(), "big", 48 * 1024 * 1024, 7);
    let mut child = spawn_slow_put(&server, &local, "/big", 3);
    wait_for(60, "the first 8 MiB", || {
        server.staging_bytes() >= 8 * 1024 * 1024
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let held = settled(|| server.staging_bytes());
    assert!(held < 48 * 1024 * 1024, "the client was killed mid-upload");
    let out = server.cli(&["put", local.to_str().unwrap(), "/big"]);
    let text = ok(&out) + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.to_lowercase().contains(&format!("resuming at {held}")),
        "put resumes: {text}"
    );
    assert_eq!(server.md5_of("admin", "big"), md5_file(&local));
}

#[test]
fn a_kill_9_server_restarts_and_the_upload_resumes_exactly() {
    let mut server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let local = random_file_in(tmp.path(), "big", 48 * 1024 * 1024, 9);
    let child = spawn_slow_put(&server, &local, "/big", 20);
    wait_for(60, "the first 8 MiB", || {
        server.staging_bytes() >= 8 * 1024 * 1024
    });
    server.kill9();
    let held = server.staging_bytes();
    assert!(held > 0 && held < 48 * 1024 * 1024);
    std::thread::sleep(Duration::from_millis(300));
    server.restart();
    let out = child.wait_with_output().unwrap();
    let text = ok(&out) + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.to_lowercase().contains("resum"),
        "the client says it resumed: {text}"
    );
    assert_eq!(server.md5_of("admin", "big"), md5_file(&local));
}

#[test]
fn an_interrupted_get_resumes_from_its_part_file() {
    let server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let local = random_file_in(tmp.path(), "src", 3 * 1024 * 1024 + 5, 3);
    ok(&server.cli(&["put", local.to_str().unwrap(), "/src"]));
    let dest = tmp.path().join("dst");
    // As if an earlier run was cut off after 1 MiB.
    let bytes = std::fs::read(&local).unwrap();
    std::fs::write(tmp.path().join("dst.part"), &bytes[..1024 * 1024]).unwrap();
    let out = server.cli(&["get", "/src", dest.to_str().unwrap()]);
    let text = ok(&out) + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.to_lowercase().contains("resum"),
        "get says it resumes: {text}"
    );
    assert_eq!(md5_file(&dest), md5_file(&local));
}

#[test]
fn thirty_two_clients_upload_at_once_and_every_file_is_exact() {
    let server = Server::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let mut children = Vec::new();
    for i in 0..32u64 {
        let local = tmp.path().join(format!("c{i}"));
        random_file(&local, 512 * 1024 + i * 4099, 100 + i);
        let child = server
            .cli_cmd(&["put", local.to_str().unwrap(), &format!("/c{i}")])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        children.push((i, local, child));
    }
    for (i, local, child) in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "client {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(server.md5_of("admin", format!("c{i}")), md5_file(&local));
    }
}
