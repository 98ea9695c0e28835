//! One scenario through both doors of the real binary: the same results and the same error
//! codes, and uploads that start on one door and finish on the other (or after a `kill -9`).

mod agreement;
mod crossing;

use std::path::Path;

use serde_json::json;

use crate::http_client::Reply;
use crate::support::{Raw, code};

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
