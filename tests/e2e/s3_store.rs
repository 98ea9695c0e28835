//! `ferry serve --store s3://…`: nodes with a data folder each, sharing only a PostgreSQL
//! database (`--meta`) and an S3 bucket (a prefix of the test Garage cluster's, see
//! `ferry_store_s3::testing`): a file uploaded through one is downloaded through another, and
//! an upload goes from node to node (TCP, then HTTP on two others).
//! The account commands given the same `--store` reach the same homes: `user remove --purge`
//! deletes the S3 home, so a new account of that name starts empty. A node killed mid-upload
//! leaves it to another, and an upload outlives one of its three Garage nodes. A SHA-256 is
//! checked over parts. And `--store` without `--meta` is refused.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::http_client::{Http, random_bytes};
use ferry_store_s3::S3Config;

use crate::support::{PASSWORD, Raw, Server, bin, free_port, ok, output_with_stdin};

fn fresh_database() -> String {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(ferry_store_pg::testing::fresh_database())
}

fn s3_node(data: &Path, args: &[&str], s3: &S3Config) -> Server {
    let addr = free_port();
    let mut cmd = Server::command(data, addr, args);
    cmd.env("AWS_ACCESS_KEY_ID", &s3.key_id)
        .env("AWS_SECRET_ACCESS_KEY", &s3.secret);
    Server::spawn(cmd, data, addr, args)
}

/// `ferry user ARGS…` against the shared database and bucket, with `stdin`.
fn user_command(args: &[&str], shared: &[&str], data: &Path, s3: &S3Config, stdin: &str) {
    let mut cmd = Command::new(bin());
    cmd.arg("user")
        .args(args)
        .args(shared)
        .arg("--data")
        .arg(data)
        .env("AWS_ACCESS_KEY_ID", &s3.key_id)
        .env("AWS_SECRET_ACCESS_KEY", &s3.secret);
    ok(&output_with_stdin(&mut cmd, stdin.as_bytes()));
}

/// A fresh database and bucket prefix, the options that name them (`--meta URL --store
/// s3://… --s3-endpoint … --s3-region …`) and a folder for the nodes' data folders.
struct Shared {
    s3: S3Config,
    options: Vec<String>,
    tmp: tempfile::TempDir,
}

impl Shared {
    fn new() -> Shared {
        Shared::on(ferry_store_s3::testing::fresh_config())
    }

    /// A fresh database, and the bucket `s3` names.
    fn on(s3: S3Config) -> Shared {
        let url = fresh_database();
        let store = format!("s3://{}/{}", s3.bucket, s3.prefix);
        let options = [
            "--meta",
            &url,
            "--store",
            &store,
            "--s3-endpoint",
            &s3.endpoint,
            "--s3-region",
            &s3.region,
        ]
        .map(String::from)
        .to_vec();
        let tmp = tempfile::tempdir().unwrap();
        Shared { s3, options, tmp }
    }

    fn args(&self) -> Vec<&str> {
        self.options.iter().map(String::as_str).collect()
    }

    /// A node with its own data folder `name` under the shared folder.
    fn node(&self, name: &str) -> Server {
        self.node_with(name, &[])
    }

    /// [`node`](Self::node) with more options.
    fn node_with(&self, name: &str, extra: &[&str]) -> Server {
        let mut args = self.args();
        args.extend(extra);
        s3_node(&self.tmp.path().join(name), &args, &self.s3)
    }

    /// Adds the account `name` (password [`PASSWORD`]) to the shared database.
    fn add_user(&self, name: &str) {
        let admin = self.tmp.path().join("admin");
        let add = ["add", name, "--password-stdin"];
        let password = format!("{PASSWORD}\n");
        user_command(&add, &self.args(), &admin, &self.s3, &password);
    }
}

#[test]
fn a_purged_account_leaves_nothing_in_s3_for_the_next_one_of_its_name() {
    let shared = Shared::new();
    let (args, s3) = (shared.args(), &shared.s3);
    let node = shared.node("a");
    let admin = shared.tmp.path().join("admin");
    let password = format!("{PASSWORD}\n");
    let add_carol = || {
        let add = ["add", "carol", "--password-stdin"];
        user_command(&add, &args, &admin, s3, &password);
    };
    add_carol();
    let bytes = random_bytes(70_000, 9);
    let carol = Http::new(&node, "carol", PASSWORD);
    let id = carol.create_upload("/secret.bin", &bytes);
    assert_eq!(carol.put_rest(&id, &bytes, 0).status, 201);
    assert_eq!(carol.get("/api/v1/files/secret.bin").status, 200);

    user_command(&["remove", "carol", "--purge"], &args, &admin, s3, "");
    add_carol();
    let again = Http::new(&node, "carol", PASSWORD);
    let got = again.get("/api/v1/files/secret.bin");
    assert_eq!(got.status, 404, "the new carol sees the old one's file");
}

#[test]
fn a_file_uploaded_through_one_node_downloads_through_another_from_s3() {
    let shared = Shared::new();
    let (a, b) = (shared.node("a"), shared.node("b"));
    assert!(
        a.stdout().iter().any(|l| l.contains("files in S3")),
        "{:?}",
        a.stdout()
    );
    shared.add_user("bob");

    // Over a part (8 MiB), so the bytes go as a multipart upload and a tail.
    let bytes = random_bytes(9 * 1024 * 1024 + 4321, 5);
    let (on_a, on_b) = (
        Http::new(&a, "bob", PASSWORD),
        Http::new(&b, "bob", PASSWORD),
    );
    let id = on_a.create_upload("/s3.bin", &bytes);
    let done = on_a.put_rest(&id, &bytes, 0);
    assert_eq!(done.status, 201, "{done:?}");
    let got = on_b.get("/api/v1/files/s3.bin");
    assert_eq!(got.status, 200);
    assert!(got.body == bytes, "node B serves the bytes node A stored");
    assert!(
        !shared.tmp.path().join("b/homes/bob/s3.bin").exists()
            && !shared.tmp.path().join("a/homes/bob/s3.bin").exists(),
        "no data folder holds the file"
    );
}

/// Three nodes, no stickiness: an upload started on node A through the TCP door is continued
/// on node B over HTTP and finished on node C, and node A serves the exact file.
#[test]
fn an_upload_started_on_one_node_is_continued_on_a_second_and_finished_on_a_third() {
    let shared = Shared::new();
    let nodes = ["a", "b", "c"].map(|n| shared.node(n));
    shared.add_user("bob");
    let [on_a, on_b, on_c] = [0, 1, 2].map(|n| Http::new(&nodes[n], "bob", PASSWORD));
    let mib = 1024 * 1024;
    let bytes = random_bytes(20 * mib + 333, 37);
    let id = on_a.create_upload("/three.bin", &bytes);
    let mut tcp = Raw::logged_in_as(nodes[0].addr, "bob", PASSWORD);
    let first = 9 * mib;
    assert_eq!(tcp.write_upload(&id, 0, &bytes[..first], mib), first as u64);
    drop(tcp);

    let second = 15 * mib;
    let uri = format!("/api/v1/uploads/{id}");
    let range = format!("bytes {first}-{}/{}", second - 1, bytes.len());
    let put_b = || {
        let body = Some(bytes[first..second].to_vec());
        on_b.send("PUT", &uri, &[("content-range", range.clone())], body)
    };
    // Node A closes the TCP session's writer just after the connection ends.
    let mut on_b_reply = put_b();
    for _ in 0..100 {
        if on_b_reply.code() != "upload_busy" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        on_b_reply = put_b();
    }
    assert_eq!(on_b_reply.status, 308, "{on_b_reply:?}");
    assert_eq!(
        on_c.offset(&id),
        second as u64,
        "node C sees what node B received"
    );
    let done = on_c.put_rest(&id, &bytes, second);
    assert_eq!(done.status, 201, "{done:?}");
    let got = on_a.get("/api/v1/files/three.bin");
    assert_eq!(got.status, 200);
    assert!(got.body == bytes, "the file is exact");
}

/// A node killed (`kill -9`) while a TCP session writes an upload, after it shipped two parts:
/// another node takes the upload over once the lease lapses (`--lease-ttl 3`), at the offset
/// of the dead node's last flush (the client is told it, and sends the rest from there),
/// continuing the MD5 from the state kept with the parts (they cannot be read back to hash
/// them again); the file is exact.
#[test]
fn an_upload_of_parts_whose_node_was_killed_is_taken_over_by_another() {
    let shared = Shared::new();
    let lease = ["--lease-ttl", "3"];
    let (mut a, b) = (shared.node_with("a", &lease), shared.node_with("b", &lease));
    shared.add_user("bob");
    let on_b = Http::new(&b, "bob", PASSWORD);
    let mib = 1024 * 1024;
    let bytes = random_bytes(17 * mib + 4321, 23);
    let half = 16 * mib + 1000;
    let id = on_b.create_upload("/killed.bin", &bytes);
    let mut tcp = Raw::logged_in_as(a.addr, "bob", PASSWORD);
    let nine = 9 * mib;
    assert_eq!(tcp.write_upload(&id, 0, &bytes[..nine], mib), nine as u64);
    // A second later the next write's end flushes: the manifest then lists part 0 and the
    // MD5 state over it, and the tail after it.
    std::thread::sleep(Duration::from_millis(1100));
    let rest = &bytes[nine..half];
    assert_eq!(tcp.write_upload(&id, nine as u64, rest, mib), half as u64);

    a.kill9();
    let offset = on_b.offset(&id) as usize;
    assert!(
        (nine + mib..=half).contains(&offset),
        "{offset}: at least the flush after the pause, at most what was sent"
    );
    let done = on_b.put_rest(&id, &bytes, offset);
    assert_eq!(done.status, 201, "{done:?}");
    let got = on_b.get("/api/v1/files/killed.bin");
    assert_eq!(got.status, 200);
    assert!(got.body == bytes, "the file is exact");
}

/// A three-node Garage cluster of a test's own (`tests/support/garage.sh`), stopped and
/// deleted when dropped.
struct OwnCluster {
    dir: tempfile::TempDir,
    config: S3Config,
}

impl OwnCluster {
    fn start() -> OwnCluster {
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/garage.sh");
        let out = Command::new(&script)
            .arg("start")
            .arg(dir.path().join("garage"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let var = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("FERRY_TEST_S3_{name}=")))
                .unwrap_or_else(|| panic!("garage.sh printed no {name}"))
                .to_string()
        };
        let config = S3Config {
            endpoint: var("ENDPOINT"),
            region: var("REGION"),
            bucket: var("BUCKET"),
            key_id: var("KEY_ID"),
            secret: var("SECRET"),
            prefix: "own".into(),
        };
        OwnCluster { dir, config }
    }

    /// `kill -9` of node `n` (1 serves the S3 endpoint).
    fn kill(&self, n: u32) {
        let pid_file = self.dir.path().join(format!("garage/node{n}/pid"));
        let pid = std::fs::read_to_string(pid_file).unwrap();
        let status = Command::new("kill")
            .args(["-9", pid.trim()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/garage.sh");
        let _ = Command::new(script)
            .arg("stop")
            .arg(self.dir.path().join("garage"))
            .status();
    }
}

/// One of the three Garage nodes killed (`kill -9`) mid-upload: with replication factor 3 the
/// other two are a quorum, so the upload goes on, commits, and reads back exact.
#[test]
fn an_upload_continues_and_completes_after_a_garage_node_was_killed() {
    let cluster = OwnCluster::start();
    let shared = Shared::on(cluster.config.clone());
    let node = shared.node("a");
    shared.add_user("bob");
    let bob = Http::new(&node, "bob", PASSWORD);
    let mib = 1024 * 1024;
    let bytes = random_bytes(17 * mib + 777, 31);
    let half = 9 * mib;
    let id = bob.create_upload("/quorum.bin", &bytes);
    let range = format!("bytes 0-{}/{}", half - 1, bytes.len());
    let uri = format!("/api/v1/uploads/{id}");
    let first = bob.send(
        "PUT",
        &uri,
        &[("content-range", range)],
        Some(bytes[..half].to_vec()),
    );
    assert_eq!(first.status, 308, "{first:?}");

    cluster.kill(3);
    let done = bob.put_rest(&id, &bytes, half);
    assert_eq!(done.status, 201, "{done:?}");
    let got = bob.get("/api/v1/files/quorum.bin");
    assert_eq!(got.status, 200);
    assert!(got.body == bytes, "the file is exact");
}

/// A SHA-256 announced for an upload of several parts (`Repr-Digest`) is checked against its
/// bytes, read back once the parts are assembled: a wrong one commits nothing, a right one
/// commits the exact file.
#[test]
fn a_sha256_announced_for_an_upload_of_parts_is_checked_before_the_commit() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let shared = Shared::new();
    let node = shared.node("a");
    shared.add_user("bob");
    let bob = Http::new(&node, "bob", PASSWORD);
    let bytes = random_bytes(17 * 1024 * 1024 + 99, 29);
    let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
    let post = |to: &str, sha: &[u8]| {
        let headers = [
            ("upload-complete", "?1".to_string()),
            ("repr-digest", format!("sha-256=:{}:", b64(sha))),
        ];
        let uri = format!("/api/v1/resumable/?path={to}");
        bob.send("POST", &uri, &headers, Some(bytes.clone()))
    };
    let wrong = post("/wrong.bin", &sha2::Sha256::digest(b"other"));
    assert_eq!(
        (wrong.status, wrong.code()),
        (422, "checksum_mismatch".to_string()),
        "{wrong:?}"
    );
    assert_eq!(bob.get("/api/v1/files/wrong.bin").status, 404);
    let right = post("/right.bin", &sha2::Sha256::digest(&bytes));
    assert_eq!(right.status, 201, "{right:?}");
    let got = bob.get("/api/v1/files/right.bin");
    assert!(got.body == bytes, "the file is exact");
}

#[test]
fn an_s3_store_without_a_shared_metadata_database_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .args([
            "serve",
            "--store",
            "s3://files",
            "--s3-endpoint",
            "http://127.0.0.1:9",
        ])
        .arg("--data")
        .arg(tmp.path())
        .args(["--tcp", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .env_remove("FERRY_META")
        .env_remove("FERRY_CONFIG")
        .env("FERRY_ADMIN_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs --meta postgres://"), "{err}");
}
