//! `ferry serve --store s3://…`: two nodes with a data folder each, sharing only a PostgreSQL
//! database (`--meta`) and an S3 bucket (a prefix of the test Garage cluster's, see
//! `ferry_store_s3::testing`): a file uploaded through one is downloaded through the other.
//! The account commands given the same `--store` reach the same homes: `user remove --purge`
//! deletes the S3 home, so a new account of that name starts empty. And `--store` without
//! `--meta` is refused.

use std::path::Path;
use std::process::Command;

use crate::http_client::{Http, random_bytes};
use ferry_store_s3::S3Config;

use crate::support::{PASSWORD, Server, bin, free_port, ok, output_with_stdin};

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
        let url = fresh_database();
        let s3 = ferry_store_s3::testing::fresh_config();
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
        s3_node(&self.tmp.path().join(name), &self.args(), &self.s3)
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
    let admin = shared.tmp.path().join("admin");
    let add = ["add", "bob", "--password-stdin"];
    user_command(
        &add,
        &shared.args(),
        &admin,
        &shared.s3,
        &format!("{PASSWORD}\n"),
    );

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
