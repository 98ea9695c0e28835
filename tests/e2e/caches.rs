//! What the server keeps in memory (accounts, tokens, digests, made homes) never outlives a
//! change: each case changes something — from another process where a user would — and the
//! very next HTTP request over a real socket must see it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::FileExt;
use std::path::Path;

use base64::Engine as _;
use md5::Digest;
use serde_json::Value;

use crate::support::{Server, ok, user};

const BOB: &str = "bob's first password";
const BOB_NEW: &str = "bob's second password";

/// One HTTP/1.1 request on a fresh connection; returns status, headers (lower-cased names)
/// and body.
fn http(
    server: &Server,
    method: &str,
    path: &str,
    auth: &str,
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = TcpStream::connect(server.http).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {auth}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.http,
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a full response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, raw[split + 4..].to_vec())
}

fn basic(name: &str, password: &str) -> String {
    let pair = format!("{name}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

fn code_of(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned())
}

/// Adds bob and returns a bearer token of his that is known to work.
fn bob_with_token(server: &Server) -> String {
    ok(&user(
        &server.data,
        &["add", "bob", "--password-stdin"],
        &format!("{BOB}\n"),
    ));
    let login = serde_json::json!({"username": "bob", "password": BOB}).to_string();
    let (status, _, body) = http(server, "POST", "/api/v1/login", "", login.as_bytes());
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let token = serde_json::from_slice::<Value>(&body).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    // Twice each, so the account and the token are in memory before the change.
    for _ in 0..2 {
        let bearer = format!("Bearer {token}");
        assert_eq!(http(server, "GET", "/api/v1/dirs/", &bearer, b"").0, 200);
        assert_eq!(
            http(server, "GET", "/api/v1/dirs/", &basic("bob", BOB), b"").0,
            200
        );
    }
    token
}

#[test]
fn a_password_changed_by_another_process_refuses_the_old_password_and_tokens_at_once() {
    let server = Server::start(&[]);
    let token = bob_with_token(&server);
    ok(&user(
        &server.data,
        &["passwd", "bob", "--password-stdin"],
        &format!("{BOB_NEW}\n"),
    ));
    let (status, _, body) = http(&server, "GET", "/api/v1/dirs/", &basic("bob", BOB), b"");
    assert_eq!((status, code_of(&body).as_str()), (401, "auth_failed"));
    let bearer = format!("Bearer {token}");
    let (status, _, body) = http(&server, "GET", "/api/v1/dirs/", &bearer, b"");
    assert_eq!((status, code_of(&body).as_str()), (401, "token_invalid"));
    let new = basic("bob", BOB_NEW);
    assert_eq!(http(&server, "GET", "/api/v1/dirs/", &new, b"").0, 200);
}

#[test]
fn a_user_removed_by_another_process_is_refused_at_once_with_basic_and_with_a_token() {
    let server = Server::start(&[]);
    let token = bob_with_token(&server);
    ok(&user(&server.data, &["remove", "bob"], ""));
    let (status, _, body) = http(&server, "GET", "/api/v1/dirs/", &basic("bob", BOB), b"");
    assert_eq!((status, code_of(&body).as_str()), (401, "auth_failed"));
    let bearer = format!("Bearer {token}");
    let (status, _, body) = http(&server, "GET", "/api/v1/dirs/", &bearer, b"");
    assert_eq!((status, code_of(&body).as_str()), (401, "token_invalid"));
}

#[test]
fn a_revoked_token_is_refused_at_once_and_a_removed_token_file_too() {
    let server = Server::start(&[]);
    let token = bob_with_token(&server);
    let bearer = format!("Bearer {token}");
    assert_eq!(http(&server, "POST", "/api/v1/logout", &bearer, b"").0, 204);
    let (status, _, body) = http(&server, "GET", "/api/v1/dirs/", &bearer, b"");
    assert_eq!((status, code_of(&body).as_str()), (401, "token_invalid"));

    // A second token, in memory, whose file an operator deletes by hand.
    let login = serde_json::json!({"username": "bob", "password": BOB}).to_string();
    let (_, _, body) = http(&server, "POST", "/api/v1/login", "", login.as_bytes());
    let other = serde_json::from_slice::<Value>(&body).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let bearer = format!("Bearer {other}");
    assert_eq!(http(&server, "GET", "/api/v1/dirs/", &bearer, b"").0, 200);
    for f in std::fs::read_dir(server.data.join("state/tokens")).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    let (status, _, body) = http(&server, "GET", "/api/v1/dirs/", &bearer, b"");
    assert_eq!((status, code_of(&body).as_str()), (401, "token_invalid"));
}

#[test]
fn a_home_removed_behind_the_servers_back_is_made_again_at_the_next_request() {
    let server = Server::start(&[]);
    bob_with_token(&server);
    std::fs::remove_dir_all(server.home("bob")).unwrap();
    let auth = basic("bob", BOB);
    let (status, _, body) = http(&server, "GET", "/api/v1/dirs/", &auth, b"");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(server.home("bob").is_dir());
}

fn etag(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .find(|(k, _)| k == "etag")
        .map(|(_, v)| v.clone())
        .expect("an ETag")
}

fn quoted_md5(data: &[u8]) -> String {
    format!("\"{}\"", hex::encode(md5::Md5::digest(data)))
}

/// Rewrites `path` in place with `data` (same length) and puts its mtime back, as a command
/// could: only the ctime tells the change.
fn rewrite_keeping_size_and_mtime(path: &Path, data: &[u8]) {
    let mtime = std::fs::metadata(path).unwrap().modified().unwrap();
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.write_all_at(data, 0).unwrap();
    f.set_modified(mtime).unwrap();
}

#[test]
fn a_file_changed_behind_the_servers_back_gets_its_new_digest_not_the_remembered_one() {
    // A small file (no digest record: hashed again when needed) is listed with its new MD5;
    // a large one with none until something hashes it again.
    changed_behind_the_back(4096, true);
    changed_behind_the_back(100 * 1024, false);
}

fn changed_behind_the_back(len: usize, rehashed_by_listing: bool) {
    let mut server = Server::start(&[]);
    bob_with_token(&server);
    let auth = basic("bob", BOB);
    let first = vec![b'a'; len];
    let (status, _, _) = http(&server, "PUT", "/api/v1/files/f.bin", &auth, &first);
    assert_eq!(status, 201);
    let listing = |server: &Server| {
        let (_, _, body) = http(server, "GET", "/api/v1/dirs/", &auth, b"");
        serde_json::from_slice::<Value>(&body).unwrap()["entries"][0]["md5"].clone()
    };
    let (_, headers, body) = http(&server, "GET", "/api/v1/files/f.bin", &auth, b"");
    assert_eq!((etag(&headers), body), (quoted_md5(&first), first.clone()));
    assert_eq!(listing(&server), hex::encode(md5::Md5::digest(&first)));

    // Remembered across a restart: listed with its MD5 before anything re-hashes it.
    server.terminate();
    server.wait_exit(30);
    server.restart();
    assert_eq!(listing(&server), hex::encode(md5::Md5::digest(&first)));

    let second = vec![b'b'; len];
    rewrite_keeping_size_and_mtime(&server.home("bob").join("f.bin"), &second);
    let expected = match rehashed_by_listing {
        true => Value::from(hex::encode(md5::Md5::digest(&second))),
        false => Value::Null,
    };
    assert_eq!(
        listing(&server),
        expected,
        "the old MD5 is not listed ({len} bytes)"
    );
    let (_, headers, body) = http(&server, "GET", "/api/v1/files/f.bin", &auth, b"");
    assert_eq!(
        (etag(&headers), body),
        (quoted_md5(&second), second.clone())
    );
    let (_, headers, body) = http(&server, "HEAD", "/api/v1/files/f.bin", &auth, b"");
    assert_eq!((etag(&headers), body.len()), (quoted_md5(&second), 0));
}
