//! `ferry serve --store s3://…`: two nodes with a data folder each, sharing only a PostgreSQL
//! database (`--meta`) and an S3 bucket (a prefix of the test Garage cluster's, see
//! `ferry_store_s3::testing`): a file uploaded through one is downloaded through the other.
//! And `--store` without `--meta` is refused.

use std::path::Path;
use std::process::Command;

use crate::http_client::{Http, random_bytes};
use crate::support::{PASSWORD, Server, bin, free_port, ok, output_with_stdin};

fn fresh_database() -> String {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(ferry_store_pg::testing::fresh_database())
}

fn s3_node(data: &Path, args: &[&str], s3: &ferry_store_s3::S3Config) -> Server {
    let addr = free_port();
    let mut cmd = Server::command(data, addr, args);
    cmd.env("AWS_ACCESS_KEY_ID", &s3.key_id)
        .env("AWS_SECRET_ACCESS_KEY", &s3.secret);
    Server::spawn(cmd, data, addr, args)
}

#[test]
fn a_file_uploaded_through_one_node_downloads_through_another_from_s3() {
    let url = fresh_database();
    let s3 = ferry_store_s3::testing::fresh_config();
    let store = format!("s3://{}/{}", s3.bucket, s3.prefix);
    let args = [
        "--meta",
        &url,
        "--store",
        &store,
        "--s3-endpoint",
        &s3.endpoint,
        "--s3-region",
        &s3.region,
    ];
    let tmp = tempfile::tempdir().unwrap();
    let a = s3_node(&tmp.path().join("a"), &args, &s3);
    let b = s3_node(&tmp.path().join("b"), &args, &s3);
    assert!(
        a.stdout().iter().any(|l| l.contains("files in S3")),
        "{:?}",
        a.stdout()
    );
    let mut add = Command::new(bin());
    add.args(["user", "add", "bob", "--password-stdin", "--meta", &url])
        .arg("--data")
        .arg(tmp.path().join("admin"));
    ok(&output_with_stdin(
        &mut add,
        format!("{PASSWORD}\n").as_bytes(),
    ));

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
        !tmp.path().join("b/homes/bob/s3.bin").exists()
            && !tmp.path().join("a/homes/bob/s3.bin").exists(),
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
