//! One scenario through both doors of the real binary: the same results and the same error
//! codes, and uploads that start on one door and finish on the other (or after a `kill -9`).

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;

use ferry_proto::Request;
use serde_json::json;

use crate::http_client::{Http, Reply, random_bytes};
use crate::support::{
    PASSWORD, Raw, Server, code, entry_names, fails_with, md5_file, ok, random_file, user, wait_for,
};

/// The error code of a TCP reply, `ok` on success.
fn tcp_code(h: &ferry_proto::Header) -> String {
    if h["status"] == "ok" {
        "ok".into()
    } else {
        code(h).into()
    }
}

/// The error code of an HTTP reply, `ok` on success.
fn http_code(r: &Reply) -> String {
    if (200..300).contains(&r.status) {
        "ok".into()
    } else {
        r.code()
    }
}

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(<md5::Md5 as md5::Digest>::digest(bytes))
}

/// Writes `data[from..to]` to an upload over TCP in frames of at most 256 KiB.
fn tcp_write(r: &mut Raw, id: &str, data: &[u8], from: usize, to: usize) {
    let mut at = from;
    while at < to {
        let end = (at + 256 * 1024).min(to);
        let chunk = &data[at..end];
        r.send(
            json!({"op": "upload_write", "id": id, "offset": at, "crc32c": crc32c::crc32c(chunk)}),
            chunk,
        );
        let h = r.recv().expect("a reply").header;
        assert_eq!(h["offset"], end, "{h:?}");
        at = end;
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn uploads_listings_and_errors_agree_on_both_doors() {
    let server = Server::start(&[]);
    let http = Http::new(&server, "admin", PASSWORD);
    let tmp = tempfile::tempdir().unwrap();
    let local = tmp.path().join("f");
    random_file(&local, 1024 * 1024 + 3, 1);
    let bytes = read(&local);
    let md5 = md5_file(&local);

    ok(&server.cli(&["put", local.to_str().unwrap(), "/tcp.bin"]));
    let r = http.send("PUT", "/api/v1/files/http.bin", &[], Some(bytes.clone()));
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.json()["md5"], md5);
    assert_eq!(md5_file(&server.home("admin").join("tcp.bin")), md5);
    assert_eq!(md5_file(&server.home("admin").join("http.bin")), md5);
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
    let big = tmp.path().join("big");
    random_file(&big, 2 * 1024 * 1024, 2);

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

#[test]
fn an_upload_started_on_tcp_finishes_over_http_from_the_offset_http_reports() {
    let server = Server::start(&[]);
    let http = Http::new(&server, "admin", PASSWORD);
    let data = random_bytes(3 * 1024 * 1024 + 17, 3);
    let half = data.len() / 2;

    let mut r = Raw::logged_in(server.addr);
    let h = r.request(Request::UploadCreate {
        path: "/cross.bin".into(),
        size: data.len() as u64,
        md5: Some(md5_hex(&data)),
        overwrite: false,
    });
    let id = h["upload"]["id"]
        .as_str()
        .expect("an upload id")
        .to_string();
    tcp_write(&mut r, &id, &data, 0, half);
    r.stream.shutdown(std::net::Shutdown::Both).unwrap();
    drop(r);

    assert_eq!(http.offset(&id), half as u64);
    let reply = http.put_rest(&id, &data, half);
    assert_eq!(reply.status, 201, "{reply:?}");
    assert_eq!(read(&server.home("admin").join("cross.bin")), data);
}

#[test]
fn an_upload_started_over_http_finishes_on_tcp_from_the_offset_tcp_reports() {
    let server = Server::start(&[]);
    let http = Http::new(&server, "admin", PASSWORD);
    let data = random_bytes(3 * 1024 * 1024 + 5, 4);
    let half = data.len() / 2;

    let r = http.json(
        "POST",
        "/api/v1/uploads",
        json!({"path": "/back.bin", "size": data.len(), "md5": md5_hex(&data)}),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = http.send(
        "PUT",
        &format!("/api/v1/uploads/{id}"),
        &[(
            "content-range",
            format!("bytes 0-{}/{}", half - 1, data.len()),
        )],
        Some(data[..half].to_vec()),
    );
    assert_eq!(r.status, 308, "{r:?}");

    let mut raw = Raw::logged_in(server.addr);
    let h = raw.request(Request::UploadStatus { id: id.clone() });
    assert_eq!(h["upload"]["offset"], half, "{h:?}");
    tcp_write(&mut raw, &id, &data, half, data.len());
    let h = raw.request(Request::UploadFinish {
        id: id.clone(),
        md5: None,
    });
    assert_eq!(tcp_code(&h), "ok", "{h:?}");
    assert_eq!(h["entry"]["md5"], md5_hex(&data));
    assert_eq!(read(&server.home("admin").join("back.bin")), data);
}

#[test]
fn a_kill_9_mid_http_upload_resumes_over_http_to_the_exact_file() {
    let mut server = Server::start(&[]);
    let http = Http::new(&server, "admin", PASSWORD);
    let data = random_bytes(8 * 1024 * 1024, 5);
    let r = http.json(
        "POST",
        "/api/v1/uploads",
        json!({"path": "/killed.bin", "size": data.len(), "md5": md5_hex(&data)}),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.json()["id"].as_str().unwrap().to_string();

    // A whole-file chunk of which only the first 3 MiB ever arrive.
    let token = http.json(
        "POST",
        "/api/v1/login",
        json!({"username": "admin", "password": PASSWORD}),
    );
    let token = token.json()["token"].as_str().unwrap().to_string();
    let mut s = TcpStream::connect(server.http).unwrap();
    let head = format!(
        "PUT /api/v1/uploads/{id} HTTP/1.1\r\nHost: ferry\r\nAuthorization: Bearer {token}\r\n\
         Content-Range: bytes 0-{}/{}\r\nContent-Length: {}\r\n\r\n",
        data.len() - 1,
        data.len(),
        data.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let sent = 3 * 1024 * 1024;
    s.write_all(&data[..sent]).unwrap();
    wait_for(30, "bytes staged", || server.staging_bytes() >= 1024 * 1024);
    server.kill9();
    drop(s);
    server.restart();

    let held = http.offset(&id);
    // What reached the disk before the crash is kept, and nothing that was never sent.
    assert!(
        held > 0 && held as usize <= sent,
        "held {held} of {sent} sent"
    );
    let r = http.put_rest(&id, &data, held as usize);
    assert_eq!(r.status, 201, "resume from {held}: {r:?}");
    assert_eq!(
        r.headers["etag"],
        format!("\"{}\"", md5_hex(&data)).as_str()
    );
    assert_eq!(read(&server.home("admin").join("killed.bin")), data);
    assert_eq!(server.staging_bytes(), 0);
}
