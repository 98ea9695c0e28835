//! The same operations through both doors: the same listings, the same stat results and the
//! same error codes and details, for each case of a table and for a quota overrun.

use ferry_proto::Request;
use serde_json::json;

use super::{http_code, read, tcp_code};
use crate::http_client::{Http, Reply};
use crate::support::{
    PASSWORD, Raw, Server, entry_names, fails_with, md5_file, ok, random_file_in, user,
};

#[test]
fn uploads_listings_and_errors_agree_on_both_doors() {
    let server = Server::start(&[]);
    let http = Http::new(&server, "admin", PASSWORD);
    let tmp = tempfile::tempdir().unwrap();
    let local = random_file_in(tmp.path(), "f", 1024 * 1024 + 3, 1);
    let bytes = read(&local);
    let md5 = md5_file(&local);

    ok(&server.cli(&["put", local.to_str().unwrap(), "/tcp.bin"]));
    let r = http.send("PUT", "/api/v1/files/http.bin", &[], Some(bytes.clone()));
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.json()["md5"], md5);
    assert_eq!(server.md5_of("admin", "tcp.bin"), md5);
    assert_eq!(server.md5_of("admin", "http.bin"), md5);
    ok(&server.cli(&["mkdir", "/dir"]));
    ok(&server.cli(&["put", local.to_str().unwrap(), "/dir/inner.bin"]));

    let tcp_names = entry_names(&ok(&server.cli(&["ls", "--json", "/"])));
    let listing = http.get("/api/v1/dirs/");
    let http_names: Vec<String> = listing.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(tcp_names, http_names);
    assert_eq!(http_names, ["dir", "http.bin", "tcp.bin"]);

    // Each case: the TCP request and the same operation over HTTP.
    let mut r = Raw::logged_in(server.addr);
    let stat = |path: &str| Request::Stat {
        path: path.into(),
        digest: true,
    };
    let create = |path: &str, size: u64| Request::UploadCreate {
        path: path.into(),
        size,
        md5: None,
        overwrite: false,
        parents: true,
    };
    let cases: Vec<(&str, Request, Reply)> = vec![
        (
            "stat of a file",
            stat("/tcp.bin"),
            http.get("/api/v1/stat/tcp.bin?digest=true"),
        ),
        (
            "stat of a missing file",
            stat("/missing"),
            http.get("/api/v1/stat/missing"),
        ),
        (
            "stat outside the home",
            stat("../../etc/passwd"),
            http.get("/api/v1/stat/..%2F..%2Fetc%2Fpasswd"),
        ),
        (
            "stat of a bad name",
            stat("/a\0b"),
            http.get("/api/v1/stat/a%00b"),
        ),
        (
            "upload outside the home",
            create("../outside.bin", 10),
            http.json(
                "POST",
                "/api/v1/uploads",
                json!({"path": "../outside.bin", "size": 10}),
            ),
        ),
        (
            "upload over an existing file",
            create("/tcp.bin", 10),
            http.json(
                "POST",
                "/api/v1/uploads",
                json!({"path": "/tcp.bin", "size": 10}),
            ),
        ),
        (
            "remove a folder that is not empty",
            Request::Rm {
                path: "/dir".into(),
                recursive: false,
            },
            http.send("DELETE", "/api/v1/files/dir", &[], None),
        ),
        (
            "move onto an existing file",
            Request::Mv {
                from: "/tcp.bin".into(),
                to: "/http.bin".into(),
                overwrite: false,
            },
            http.json(
                "POST",
                "/api/v1/move",
                json!({"from": "/tcp.bin", "to": "/http.bin"}),
            ),
        ),
    ];
    let expected = [
        "ok",
        "not_found",
        "path_outside_home",
        "invalid_path",
        "path_outside_home",
        "already_exists",
        "directory_not_empty",
        "already_exists",
    ];
    for ((what, tcp_req, http_reply), want) in cases.into_iter().zip(expected) {
        let h = r.request(tcp_req);
        assert_eq!(
            (tcp_code(&h), http_code(&http_reply)),
            (want.to_string(), want.to_string()),
            "{what}: tcp {h:?}, http {http_reply:?}"
        );
        if want == "ok" {
            assert_eq!(h["entry"]["md5"], http_reply.json()["md5"], "{what}");
            assert_eq!(h["entry"]["size"], http_reply.json()["size"], "{what}");
        }
    }
    assert!(!server.data.join("homes/outside.bin").exists());
    assert!(server.home("admin").join("dir/inner.bin").exists());
}

#[test]
fn a_quota_overrun_is_quota_exceeded_on_both_doors_and_leaves_nothing() {
    let server = Server::start(&[]);
    const BOB: &str = "bob's password here";
    ok(&user(
        &server.data,
        &["add", "bob", "--password-stdin", "--quota", "1MiB"],
        &format!("{BOB}\n"),
    ));
    let http = Http::new(&server, "bob", BOB);
    let tmp = tempfile::tempdir().unwrap();
    let big = random_file_in(tmp.path(), "big", 2 * 1024 * 1024, 2);

    fails_with(
        &server.cli_as("bob", BOB, &["put", big.to_str().unwrap(), "/big.bin"]),
        "quota_exceeded",
    );
    let r = http.send("PUT", "/api/v1/files/big.bin", &[], Some(read(&big)));
    assert_eq!(
        (r.status, r.code().as_str()),
        (413, "quota_exceeded"),
        "{r:?}"
    );

    let mut raw = Raw::connect(server.addr);
    raw.hello();
    assert_eq!(raw.login("bob", BOB)["status"], "ok");
    let h = raw.request(Request::UploadCreate {
        path: "/big.bin".into(),
        size: 2 * 1024 * 1024,
        md5: None,
        overwrite: false,
        parents: true,
    });
    let r = http.json(
        "POST",
        "/api/v1/uploads",
        json!({"path": "/big.bin", "size": 2 * 1024 * 1024}),
    );
    assert_eq!(tcp_code(&h), "quota_exceeded", "{h:?}");
    assert_eq!(r.code(), "quota_exceeded", "{r:?}");
    assert_eq!(h["needed"], r.json()["needed"], "same details: {h:?} {r:?}");
    assert_eq!(
        h["available"],
        r.json()["available"],
        "same details: {h:?} {r:?}"
    );

    assert_eq!(std::fs::read_dir(server.home("bob")).unwrap().count(), 0);
    assert_eq!(http.get("/api/v1/uploads").json(), json!([]));
    assert_eq!(http.get("/api/v1/quota").json()["reserved"], 0);
}
