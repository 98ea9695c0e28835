//! Uploads that cross doors or outlive the server: begun on one door and finished on the other
//! from the offset it reports, or resumed over HTTP after a `kill -9` mid-chunk.

use std::io::Write;
use std::net::TcpStream;

use ferry_proto::Request;
use serde_json::json;

use super::{md5_hex, read, tcp_code, tcp_write};
use crate::http_client::{Http, random_bytes};
use crate::support::{PASSWORD, Raw, Server, wait_for};

/// A server, an HTTP client logged in to it as admin, and `len` random bytes to upload.
fn server_and_bytes(len: usize, seed: u64) -> (Server, Http, Vec<u8>) {
    let server = Server::start(&[]);
    let http = Http::new(&server, "admin", PASSWORD);
    (server, http, random_bytes(len, seed))
}

#[test]
fn an_upload_started_on_tcp_finishes_over_http_from_the_offset_http_reports() {
    let (server, http, data) = server_and_bytes(3 * 1024 * 1024 + 17, 3);
    let half = data.len() / 2;

    let mut r = Raw::logged_in(server.addr);
    let h = r.request(Request::UploadCreate {
        path: "/cross.bin".into(),
        size: data.len() as u64,
        md5: Some(md5_hex(&data)),
        overwrite: false,
        parents: true,
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
    let (server, http, data) = server_and_bytes(3 * 1024 * 1024 + 5, 4);
    let half = data.len() / 2;

    let id = http.create_upload("/back.bin", &data);
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
    let (mut server, http, data) = server_and_bytes(8 * 1024 * 1024, 5);
    let id = http.create_upload("/killed.bin", &data);

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
