//! `put`: a small file in one frame (PROTOCOL.md §9.8). It commits in one round trip with no
//! upload object; whatever refuses it (CRC-32C, MD5, a file in the way, a missing parent, a path
//! outside the home, the quota) leaves no file, no upload, no reserved quota and the
//! connection in step. (Ferry's client sends every file that fits in a frame this way, so the
//! CLI's tests cover it from that side.)

use md5::{Digest, Md5};
use serde_json::{Value, json};

use crate::support::{PASSWORD, Raw, Server, code, ok, user};

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

/// Sends `put` for `path` with `data` and these extra header fields; the answer's header.
fn put(r: &mut Raw, path: &str, data: &[u8], extra: Value) -> ferry_proto::Header {
    let mut header = json!({"op": "put", "path": path, "crc32c": crc32c::crc32c(data)});
    if let (Some(h), Some(e)) = (header.as_object_mut(), extra.as_object()) {
        h.extend(e.clone());
    }
    r.send(header, data);
    r.recv().expect("an answer").header
}

/// No unfinished upload, nothing reserved, and the connection still answers in step.
fn nothing_left(r: &mut Raw) {
    let uploads = r.request(ferry_proto::Request::UploadList);
    assert_eq!(uploads["uploads"], json!([]), "{uploads:?}");
    let quota = r.request(ferry_proto::Request::Quota);
    assert_eq!(quota["reserved"], 0, "{quota:?}");
}

#[test]
fn a_small_file_is_stored_whole_in_one_frame_with_no_upload_left() {
    let server = Server::start(&[]);
    let mut r = Raw::logged_in(server.addr);
    let data: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let h = put(
        &mut r,
        "/a/b/one.bin",
        &data,
        json!({"md5": md5_hex(&data)}),
    );
    assert_eq!(h["status"], "ok", "{h:?}");
    assert_eq!(h["entry"]["md5"], md5_hex(&data));
    assert_eq!(h["entry"]["size"], data.len() as u64);
    assert_eq!(
        h["entry"]["path"], "/a/b/one.bin",
        "parents made by default"
    );
    let stored = std::fs::read(server.home("admin").join("a/b/one.bin")).unwrap();
    assert!(stored == data, "the bytes on disk are the payload");
    nothing_left(&mut r);

    // Without an MD5 the one computed on receipt is the file's; `overwrite` replaces.
    let h = put(&mut r, "/a/b/one.bin", b"new", json!({"overwrite": true}));
    assert_eq!(h["status"], "ok", "{h:?}");
    assert_eq!(h["entry"]["md5"], md5_hex(b"new"));
    assert_eq!(server.md5_of("admin", "a/b/one.bin"), md5_hex(b"new"));
}

#[test]
fn a_refused_put_leaves_nothing_and_the_connection_in_step() {
    let server = Server::start(&[]);
    let mut r = Raw::logged_in(server.addr);
    let data = b"hello world".to_vec();
    let home = server.home("admin");

    // The payload is not what its CRC-32C says.
    r.send(
        json!({"op": "put", "path": "/c.bin", "crc32c": crc32c::crc32c(&data) ^ 1}),
        &data,
    );
    let h = r.recv().unwrap().header;
    assert_eq!(code(&h), "chunk_checksum_mismatch", "{h:?}");
    assert!(!home.join("c.bin").exists());
    nothing_left(&mut r);

    // The payload does not hash to the MD5 given.
    let h = put(&mut r, "/m.bin", &data, json!({"md5": md5_hex(b"other")}));
    assert_eq!(code(&h), "checksum_mismatch", "{h:?}");
    assert!(!home.join("m.bin").exists());
    nothing_left(&mut r);

    // A file in the way, without `overwrite`: it stays as it was.
    std::fs::write(home.join("there.txt"), b"keep me").unwrap();
    let h = put(&mut r, "/there.txt", &data, json!({}));
    assert_eq!(code(&h), "already_exists", "{h:?}");
    assert_eq!(std::fs::read(home.join("there.txt")).unwrap(), b"keep me");
    nothing_left(&mut r);

    // A folder in the way, even with `overwrite`.
    std::fs::create_dir(home.join("folder")).unwrap();
    let h = put(&mut r, "/folder", &data, json!({"overwrite": true}));
    assert_eq!(code(&h), "is_a_directory", "{h:?}");
    assert!(home.join("folder").is_dir());
    nothing_left(&mut r);

    // A missing parent with `parents: false`.
    let h = put(&mut r, "/no/such/f.bin", &data, json!({"parents": false}));
    assert_eq!(code(&h), "not_found", "{h:?}");
    assert!(!home.join("no").exists());
    nothing_left(&mut r);

    // Outside the home, by any spelling.
    for path in ["/../escape.bin", "../../escape.bin"] {
        let h = put(&mut r, path, &data, json!({}));
        assert_eq!(code(&h), "path_outside_home", "{path}: {h:?}");
    }
    assert!(!home.parent().unwrap().join("escape.bin").exists());

    // A field it does not know.
    let h = put(&mut r, "/x.bin", &data, json!({"size": 11}));
    assert_eq!(code(&h), "bad_request", "{h:?}");
    nothing_left(&mut r);
    let h = r.request(ferry_proto::Request::Pwd);
    assert_eq!(h["status"], "ok", "still in step: {h:?}");
}

#[test]
fn a_put_over_the_quota_is_refused_whole() {
    let server = Server::start(&[]);
    let add = user(
        &server.data,
        &["add", "q", "--quota", "10KiB", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    ok(&add);
    let mut r = Raw::logged_in_as(server.addr, "q", PASSWORD);
    let h = put(&mut r, "/big.bin", &[3u8; 20_000], json!({}));
    assert_eq!(code(&h), "quota_exceeded", "{h:?}");
    assert!(!server.home("q").join("big.bin").exists());
    nothing_left(&mut r);
    let h = put(&mut r, "/small.bin", &[4u8; 5_000], json!({}));
    assert_eq!(h["status"], "ok", "{h:?}");
}
