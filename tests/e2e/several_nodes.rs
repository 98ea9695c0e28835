//! Two `ferry serve` nodes over one PostgreSQL database (`--meta`, a fresh database on the
//! test server, see `ferry_store_pg::testing`) and one data folder: an account made by
//! `ferry user … --meta` logs in on both, the quota ledger is one, an HTTP request gives an
//! upload back so the next may reach the other node, an upload a TCP session is writing is
//! busy on the other node until the session ends or its node was killed and the lease
//! lapsed. A database restarted mid-upload makes requests retryable (`store_unavailable`) and
//! loses nothing.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::http_client::{Http, random_bytes};
use crate::support::{PASSWORD, Raw, Server, bin, free_port, ok, output_with_stdin};

mod database_down;

fn fresh_database() -> String {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(ferry_store_pg::testing::fresh_database())
}

#[test]
fn two_nodes_on_one_database_share_accounts_quota_and_uploads() {
    let url = fresh_database();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let a = Server::start_on(&data, free_port(), &["--meta", &url]);
    let b = Server::start_on(&data, free_port(), &["--meta", &url]);
    assert!(
        a.stdout()
            .iter()
            .any(|l| l.contains("metadata in PostgreSQL")),
        "{:?}",
        a.stdout()
    );

    // `ferry user` changes the database; no data folder is needed for that.
    let elsewhere = tmp.path().join("admin-machine");
    let mut add = Command::new(bin());
    add.args(["user", "add", "bob", "--password-stdin", "--meta", &url])
        .arg("--data")
        .arg(&elsewhere);
    ok(&output_with_stdin(
        &mut add,
        format!("{PASSWORD}\n").as_bytes(),
    ));
    let list = Command::new(bin())
        .args(["user", "list"])
        .arg("--data")
        .arg(&elsewhere)
        .env("FERRY_META", &url)
        .output()
        .unwrap();
    assert!(ok(&list).contains("bob"));
    for node in [&a, &b] {
        ok(&node.cli_as("bob", PASSWORD, &["ls", "/"]));
    }

    let bytes = random_bytes(300_000, 11);
    let (on_a, on_b) = (
        Http::new(&a, "bob", PASSWORD),
        Http::new(&b, "bob", PASSWORD),
    );
    let id = on_a.create_upload("/shared.bin", &bytes);
    let uri = format!("/api/v1/uploads/{id}");
    let part = |http: &Http, from: usize, to: usize| {
        let range = format!("bytes {from}-{}/{}", to - 1, bytes.len());
        http.send(
            "PUT",
            &uri,
            &[("content-range", range)],
            Some(bytes[from..to].to_vec()),
        )
    };
    assert_eq!(part(&on_a, 0, 100_000).status, 308);
    let quota = on_b.get("/api/v1/quota").json();
    assert_eq!(quota["reserved"], bytes.len(), "one ledger: {quota}");

    // An HTTP request gives the upload back when it ends: the next may reach any node (a
    // load balancer needs no stickiness).
    let second = part(&on_b, 100_000, 200_000);
    assert_eq!(second.status, 308, "{second:?}");

    // A TCP session on A writing the upload holds it, and its lease: B may not write.
    let mut tcp = Raw::logged_in_as(a.addr, "bob", PASSWORD);
    let written = tcp.write_upload(&id, 200_000, &bytes[200_000..250_000], 50_000);
    assert_eq!(written, 250_000);
    let busy = part(&on_b, 250_000, bytes.len());
    assert_eq!(busy.code(), "upload_busy", "{busy:?}");

    // The session ends (its writer closes, the lease is given up); B finishes the upload.
    drop(tcp);
    let done = on_b.put_rest(&id, &bytes, 250_000);
    assert_eq!(done.status, 201, "{done:?}");
    let got = on_b.get("/api/v1/files/shared.bin");
    assert_eq!(got.status, 200);
    assert!(
        got.body == bytes,
        "the file is the bytes both nodes received"
    );
}

#[test]
fn print_config_masks_the_database_password() {
    let out = Command::new(bin())
        .args(["serve", "--print-config"])
        .env_remove("FERRY_CONFIG")
        .env(
            "FERRY_META",
            "postgres://ferry:hunter2-secret@db.example:5432/ferry",
        )
        .output()
        .unwrap();
    let text = ok(&out);
    assert!(
        text.contains(
            r#"meta = "postgres://ferry:********@db.example:5432/ferry"  # environment FERRY_META"#
        ),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn an_abandoned_upload_is_swept_by_the_one_janitor_and_its_quota_released() {
    let url = fresh_database();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let fast = [
        "--meta",
        &url,
        "--upload-ttl",
        "1",
        "--sweep-interval",
        "0.2",
    ];
    let a = Server::start_on(&data, free_port(), &fast);
    let b = Server::start_on(&data, free_port(), &fast);
    let admin = Http::new(&b, "admin", PASSWORD);
    let created = admin.json(
        "POST",
        "/api/v1/uploads",
        json!({"path": "/abandoned.bin", "size": 1000}),
    );
    assert_eq!(created.status, 201, "{created:?}");
    let id = created.json()["id"].as_str().unwrap().to_string();
    // Watched through the quota on the other node: asking for the upload itself would touch it.
    let on_a = Http::new(&a, "admin", PASSWORD);
    crate::support::wait_for(20, "the expired upload to be swept", || {
        on_a.get("/api/v1/quota").json()["reserved"] == 0
    });
    let gone = admin.get(&format!("/api/v1/uploads/{id}"));
    assert_eq!(gone.code(), "upload_not_found", "{gone:?}");
}

/// A node killed (`kill -9`) while a TCP session writes an upload dies holding its lease: the
/// other node answers `upload_busy` until the lease lapses (`--lease-ttl`, 3 s here), then
/// takes the upload over at the offset the dead node acknowledged, re-hashing from its last
/// checkpoint, and the file is exact.
#[test]
fn an_upload_whose_node_was_killed_is_taken_over_once_its_lease_lapses() {
    let url = fresh_database();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let args = ["--meta", &url, "--lease-ttl", "3"];
    let mut a = Server::start_on(&data, free_port(), &args);
    let b = Server::start_on(&data, free_port(), &args);
    let (on_a, on_b) = (
        Http::new(&a, "admin", PASSWORD),
        Http::new(&b, "admin", PASSWORD),
    );
    // Past one 8 MiB checkpoint, so the takeover re-hashes from a saved MD5 state.
    let bytes = random_bytes(9 * 1024 * 1024 + 4321, 21);
    let half = 8 * 1024 * 1024 + 1000;
    let id = on_a.create_upload("/killed.bin", &bytes);
    let mut tcp = Raw::logged_in(a.addr);
    assert_eq!(
        tcp.write_upload(&id, 0, &bytes[..half], 1 << 20),
        half as u64
    );

    a.kill9();
    let killed = Instant::now();
    let uri = format!("/api/v1/uploads/{id}");
    let rest = [(
        "content-range",
        format!("bytes {half}-{}/{}", bytes.len() - 1, bytes.len()),
    )];
    let busy = on_b.send("PUT", &uri, &rest, Some(bytes[half..].to_vec()));
    assert!(
        busy.code() == "upload_busy" || killed.elapsed() >= Duration::from_secs(3),
        "the dead node's lease still holds: {busy:?}"
    );
    assert_eq!(
        on_b.offset(&id),
        half as u64,
        "what node A acknowledged is kept"
    );
    let done = on_b.put_rest(&id, &bytes, half);
    assert_eq!(done.status, 201, "{done:?}");
    let got = on_b.get("/api/v1/files/killed.bin");
    assert_eq!(got.status, 200);
    assert!(got.body == bytes, "the file is exact");
}
