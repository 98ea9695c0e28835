//! A real full disk: the server runs in a private mount namespace on a 6 MiB tmpfs. The test
//! cannot see inside that mount, so everything is checked through the protocol.

use std::process::{Command, Stdio};

use ferry_proto::Request;
use serde_json::Value;

use crate::support::{
    PASSWORD, Raw, Server, bin, entry_names, fails_with, free_port, md5_file, ok, random_file_in,
};

/// Mounts a tmpfs on the data folder `$0`, then runs the server on it.
const SERVE_ON_TMPFS: &str =
    "mount -t tmpfs -o size=6m tmpfs \"$0\" && exec \"$1\" serve --data \"$0\" --tcp \"$2\"";

fn names(server: &Server) -> Vec<String> {
    entry_names(&ok(&server.cli(&["ls", "--json", "/"])))
}

#[test]
fn a_full_disk_fails_the_upload_with_disk_full_and_the_server_keeps_serving() {
    let probe = Command::new("unshare")
        .args(["-rm", "true"])
        .output()
        .expect("unshare(1) is needed for this test");
    assert!(
        probe.status.success(),
        "`unshare -rm` is not permitted on this machine: {}",
        String::from_utf8_lossy(&probe.stderr)
    );
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let addr = free_port();
    let mut serve = Command::new("unshare");
    serve
        .args(["-rm", "sh", "-c", SERVE_ON_TMPFS])
        .arg(&data)
        .arg(bin())
        .arg(addr.to_string())
        .env("FERRY_ADMIN_PASSWORD", PASSWORD)
        .env("FERRY_LOG", "warn")
        .stderr(Stdio::inherit());
    let server = Server::spawn(serve, &data, addr, &[]);

    let big = random_file_in(tmp.path(), "big", 16 * 1024 * 1024, 5);
    fails_with(
        &server.cli(&["put", big.to_str().unwrap(), "/big"]),
        "disk_full",
    );
    assert!(!names(&server).contains(&"big".to_string()));

    let mut r = Raw::logged_in(server.addr);
    let h = r.request(Request::UploadList);
    let uploads = h["uploads"].as_array().expect("uploads");
    assert_eq!(uploads.len(), 1, "{h:?}");
    let upload = &uploads[0];
    assert_eq!(upload["path"], "/big");
    assert_eq!(upload["size"], 16 * 1024 * 1024);
    assert!(
        upload["offset"].as_u64().unwrap() < 16 * 1024 * 1024,
        "{upload}"
    );
    let id = upload["id"].as_str().unwrap().to_string();
    let h = r.request(Request::UploadCancel { id });
    assert_eq!(h["status"], "ok", "{h:?}");
    assert_eq!(
        r.request(Request::UploadList)["uploads"],
        serde_json::json!([])
    );

    let small = random_file_in(tmp.path(), "small", 1024 * 1024, 6);
    ok(&server.cli(&["put", small.to_str().unwrap(), "/small"]));
    let back = tmp.path().join("back");
    ok(&server.cli(&["get", "/small", back.to_str().unwrap()]));
    assert_eq!(md5_file(&back), md5_file(&small));
    assert_eq!(names(&server), ["small"]);
    let quota: Value = serde_json::from_str(&ok(&server.cli(&["quota", "--json"]))).unwrap();
    assert_eq!(quota["used"], 1024 * 1024, "{quota}");
    assert_eq!(
        quota["reserved"], 0,
        "the cancelled upload freed its reservation: {quota}"
    );
}
