//! Upload chunks streamed to storage (`--stream-chunks-from 0` streams every chunk of 64 KiB
//! and more, as a busy server does): the same answers, codes and all-or-nothing chunks as
//! chunks read whole, the connection kept in step after every refusal, and a chunk cut short
//! kept not at all.

use std::time::Duration;

use ferry_proto::Request;
use md5::{Digest, Md5};
use serde_json::json;

use crate::support::{Raw, Server, code, wait_for};

const CHUNK: usize = 300 * 1024;

fn chunk(seed: u8) -> Vec<u8> {
    (0..CHUNK)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

fn create(r: &mut Raw, path: &str, size: usize) -> String {
    let h = r.request(Request::UploadCreate {
        path: path.into(),
        size: size as u64,
        md5: None,
        overwrite: false,
        parents: true,
    });
    h["upload"]["id"].as_str().unwrap().to_string()
}

fn write(r: &mut Raw, id: &str, offset: usize, crc: u32, data: &[u8]) -> ferry_proto::Header {
    r.send(
        json!({"op": "upload_write", "id": id, "offset": offset, "crc32c": crc}),
        data,
    );
    r.recv().expect("an answer").header
}

fn offset_of(r: &mut Raw, id: &str) -> u64 {
    let h = r.request(Request::UploadStatus { id: id.into() });
    h["upload"]["offset"].as_u64().unwrap()
}

/// A server that streams every chunk, a logged-in client, and an upload of `path` (two
/// chunks, `a` and `b`) whose first chunk `a` is written: `(server, client, id, a, b)`.
fn one_chunk_in(path: &str, seed: u8) -> (Server, Raw, String, Vec<u8>, Vec<u8>) {
    let server = Server::start(&["--stream-chunks-from", "0"]);
    let mut r = Raw::logged_in(server.addr);
    let (a, b) = (chunk(seed), chunk(seed + 1));
    let id = create(&mut r, path, 2 * CHUNK);
    let h = write(&mut r, &id, 0, crc32c::crc32c(&a), &a);
    assert_eq!(h["offset"], CHUNK as u64, "{h:?}");
    (server, r, id, a, b)
}

#[test]
fn streamed_chunks_get_the_same_answers_and_refusals_leave_the_connection_in_step() {
    let (server, mut r, id, a, b) = one_chunk_in("f.bin", 1);
    let crc = crc32c::crc32c;

    // Each refusal comes before or after the whole payload was read: either way the next
    // request on the same connection is answered in order.
    let h = write(&mut r, &id, 7, crc(&b), &b);
    assert_eq!(
        (code(&h), h["offset"].as_u64()),
        ("offset_mismatch", Some(CHUNK as u64))
    );
    let h = write(&mut r, &id, CHUNK, crc(&b) ^ 1, &b);
    assert_eq!(code(&h), "chunk_checksum_mismatch");
    assert_eq!(offset_of(&mut r, &id), CHUNK as u64, "nothing of it kept");
    let too_long = [b.as_slice(), &[0u8; 10]].concat();
    let h = write(&mut r, &id, CHUNK, crc(&too_long), &too_long);
    assert_eq!(code(&h), "size_exceeded");
    let h = write(&mut r, "0123456789abcdef0123456789abcdef", 0, crc(&b), &b);
    assert_eq!(code(&h), "upload_not_found");
    let h = write(&mut r, &id, CHUNK, crc(&b), &b);
    assert_eq!(h["offset"], 2 * CHUNK as u64, "{h:?}");

    let whole = [a.as_slice(), b.as_slice()].concat();
    let md5 = hex::encode(Md5::digest(&whole));
    let h = r.request(Request::UploadFinish {
        id,
        md5: Some(md5.clone()),
    });
    assert_eq!(h["entry"]["md5"], md5, "{h:?}");
    assert_eq!(
        std::fs::read(server.home("admin").join("f.bin")).unwrap(),
        whole
    );
}

#[test]
fn a_streamed_chunk_cut_short_keeps_nothing_and_the_upload_goes_on() {
    let (server, mut r, id, a, b) = one_chunk_in("g.bin", 3);
    let crc = crc32c::crc32c;

    // The header and half the payload, then the client is gone.
    let mut cut = Raw::logged_in(server.addr);
    let mut frame = bytes::BytesMut::new();
    let serde_json::Value::Object(h) =
        json!({"op": "upload_write", "id": id, "offset": CHUNK, "crc32c": crc(&b)})
    else {
        unreachable!()
    };
    ferry_proto::encode_frame(&h, &b, &mut frame).unwrap();
    cut.send_bytes(&frame[..frame.len() - CHUNK / 2]);
    std::thread::sleep(Duration::from_millis(200));
    drop(cut);

    // Once the server has noticed, the upload is free again, at the offset before the cut.
    wait_for(20, "the cut writer to be released", || {
        r.send(
            json!({"op": "upload_write", "id": id, "offset": CHUNK, "crc32c": crc(&b)}),
            &b,
        );
        let h = r.recv().unwrap().header;
        match code(&h) {
            "upload_busy" => false,
            _ => {
                assert_eq!(h["offset"], 2 * CHUNK as u64, "{h:?}");
                true
            }
        }
    });
    let whole = [a.as_slice(), b.as_slice()].concat();
    let h = r.request(Request::UploadFinish {
        id,
        md5: Some(hex::encode(Md5::digest(&whole))),
    });
    assert!(h.get("entry").is_some(), "{h:?}");
    assert_eq!(
        std::fs::read(server.home("admin").join("g.bin")).unwrap(),
        whole
    );
}
