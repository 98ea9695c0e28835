//! `ferry serve --store s3://…`: nodes with a data folder each, sharing only a PostgreSQL
//! database (`--meta`) and an S3 bucket (a prefix of the test Garage cluster's, see
//! `ferry_store_s3::testing`): a file uploaded through one is downloaded through another, and
//! an upload goes from node to node (TCP, then HTTP on two others; in `nodes`).
//! The account commands given the same `--store` reach the same homes: `user remove --purge`
//! deletes the S3 home, so a new account of that name starts empty. A node killed mid-upload
//! leaves it to another, and an upload outlives one of its three Garage nodes (`nodes`). A
//! SHA-256 is checked over parts. And `--store` without `--meta` is refused.

use std::path::Path;
use std::process::Command;

use crate::http_client::{Http, random_bytes};
use ferry_store_s3::S3Config;

use crate::support::{PASSWORD, Server, bin, free_port, ok, output_with_stdin};

mod nodes;

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
