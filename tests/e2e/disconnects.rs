//! A client that goes away in the middle of a request body is an ordinary event: the server
//! logs no error for it, keeps what a resumable upload received, and keeps serving.

use std::io::Write;
use std::net::TcpStream;

use base64::Engine;
use serde_json::json;

use crate::http_client::{Http, random_bytes};
use crate::support::{PASSWORD, Server, free_port, wait_for};

const MIB: usize = 1024 * 1024;

/// Sends `head` and the first `sent` bytes of `body`, then closes the connection.
fn cut_after(server: &Server, head: &str, body: &[u8], sent: usize) {
    let mut s = TcpStream::connect(server.http).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body[..sent]).unwrap();
    s.flush().unwrap();
    drop(s);
}

fn basic() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("admin:{PASSWORD}"))
}

#[test]
fn a_body_cut_short_logs_no_error_and_keeps_what_a_resumable_upload_received() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start_collecting_stderr(&data, free_port(), |_| {});
    let http = Http::new(&server, "admin", PASSWORD);
    let body = random_bytes(4 * MIB, 7);

    // A whole-file PUT that stops a quarter of the way: nothing appears.
    let put = format!(
        "PUT /api/v1/files/gone.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {}\r\n\
         Content-Length: {}\r\n\r\n",
        basic(),
        body.len()
    );
    cut_after(&server, &put, &body, MIB);

    // A resumable upload whose chunk stops at 1 MiB: the bytes received are kept.
    let r = http.json(
        "POST",
        "/api/v1/uploads",
        json!({"path": "/kept.bin", "size": body.len()}),
    );
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.json()["id"].as_str().unwrap().to_string();
    let chunk = format!(
        "PUT /api/v1/uploads/{id} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {}\r\n\
         Content-Range: bytes 0-{}/{}\r\nContent-Length: {}\r\n\r\n",
        basic(),
        body.len() - 1,
        body.len(),
        body.len()
    );
    cut_after(&server, &chunk, &body, MIB);
    wait_for(20, "the cut chunk's bytes to be kept", || {
        let r = http.get(&format!("/api/v1/uploads/{id}"));
        r.status == 200 && r.json()["offset"].as_u64() == Some(MIB as u64)
    });
    wait_for(20, "the cut whole-file PUT to be discarded", || {
        server.staging_bytes() <= MIB as u64
    });

    // The rest finishes the upload byte-exact, and the cut PUT left no file.
    let done = http.put_rest(&id, &body, MIB);
    assert_eq!(done.status, 201, "{done:?}");
    assert_eq!(http.get("/api/v1/files/kept.bin").body, body);
    assert_eq!(http.get("/api/v1/files/gone.bin").code(), "not_found");

    let errors: Vec<String> = server
        .stderr()
        .into_iter()
        .filter(|l| l.contains("ERROR") || l.contains("internal"))
        .collect();
    assert!(
        errors.is_empty(),
        "a client going away is not a server error: {errors:#?}"
    );
}
