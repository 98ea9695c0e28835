//! The test vectors of `docs/PROTOCOL.md`, checked against the real codec.
//!
//! The document is the contract other-language clients are written from, so every `hex` block
//! in it must be exactly what [`FrameCodec`] and [`encode_frame`] make of it: a normal vector
//! decodes to one frame whose header is the preceding `json` block (minus `"len"`) and whose
//! payload is the one stated on the `Payload` line, and re-encodes to the same bytes; a
//! `hex error=CODE` vector fails to decode with `CODE`.

mod vectors;

use bytes::BytesMut;
use ferry_proto::{Header, chunk_crc, encode_frame};
use serde_json::Value;
use vectors::{Expect, Vector, decode_all, normal, protocol_md, vectors};

fn check_frame(v: &Vector, header_text: &Option<String>, payload: &Option<Vec<u8>>) {
    let name = &v.name;
    let header_text = header_text
        .as_deref()
        .unwrap_or_else(|| panic!("{name}: no json block"));
    let (result, rest) = decode_all(&v.bytes);
    let frame = result
        .unwrap_or_else(|e| panic!("{name}: decode failed: {e}"))
        .unwrap_or_else(|| panic!("{name}: incomplete"));
    assert!(rest.is_empty(), "{name}: {} bytes left over", rest.len());

    let header_len = u32::from_be_bytes(v.bytes[..4].try_into().unwrap()) as usize;
    let wire_header = &v.bytes[4..4 + header_len];
    assert_eq!(
        std::str::from_utf8(wire_header).ok(),
        Some(header_text),
        "{name}: the json block is not the exact header text on the wire"
    );
    let Value::Object(mut expected) = serde_json::from_str::<Value>(header_text)
        .unwrap_or_else(|e| panic!("{name}: json block: {e}"))
    else {
        panic!("{name}: json block is not an object");
    };
    let len = expected
        .remove("len")
        .map(|l| l.as_u64().expect("len is an integer"));
    assert_eq!(frame.header, expected, "{name}: header");

    let stated = payload.clone().unwrap_or_default();
    assert_eq!(
        len.unwrap_or(0),
        stated.len() as u64,
        "{name}: \"len\" vs Payload line"
    );
    assert_eq!(frame.payload.as_ref(), stated.as_slice(), "{name}: payload");

    let mut again = BytesMut::new();
    encode_frame(&frame.header, &frame.payload, &mut again).unwrap();
    assert_eq!(
        again.as_ref(),
        v.bytes.as_slice(),
        "{name}: re-encoding differs"
    );
}

#[test]
fn document_has_enough_vectors_of_each_kind() {
    let vs = vectors(&protocol_md());
    assert!(vs.len() >= 8, "only {} vectors found", vs.len());
    let with_payload = normal(&vs).filter(|(_, _, p)| p.is_some()).count();
    assert!(
        with_payload >= 2,
        "need vectors with payloads, found {with_payload}"
    );
    for code in ["frame_too_large", "payload_too_large", "malformed_frame"] {
        assert!(
            vs.iter()
                .any(|v| matches!(&v.expect, Expect::Error(c) if c == code)),
            "no decode-error vector for {code}"
        );
    }
}

#[test]
fn normal_vectors_decode_to_their_json_header_and_payload_and_reencode_identically() {
    let vs = vectors(&protocol_md());
    for (v, header_text, payload) in normal(&vs) {
        check_frame(v, header_text, payload);
    }
}

#[test]
fn strict_prefixes_of_normal_vectors_need_more_input() {
    let vs = vectors(&protocol_md());
    for (v, _, _) in normal(&vs) {
        for cut in 0..v.bytes.len() {
            let (result, _) = decode_all(&v.bytes[..cut]);
            assert!(
                matches!(result, Ok(None)),
                "{}: prefix of {cut} bytes gave {result:?}",
                v.name
            );
        }
    }
}

#[test]
fn error_vectors_fail_with_their_named_code() {
    let vs = vectors(&protocol_md());
    for v in &vs {
        let Expect::Error(code) = &v.expect else {
            continue;
        };
        match decode_all(&v.bytes).0 {
            Err(e) => assert_eq!(e.code(), code, "{}: {e}", v.name),
            Ok(other) => panic!("{}: expected {code}, decoded {other:?}", v.name),
        }
    }
}

#[test]
fn crc32c_fields_of_vectors_match_their_payloads() {
    let vs = vectors(&protocol_md());
    let mut checked = 0;
    for (v, _, _) in normal(&vs) {
        let frame = decode_all(&v.bytes).0.unwrap().unwrap();
        if let Some(crc) = frame.header.get("crc32c") {
            assert_eq!(
                crc.as_u64(),
                Some(u64::from(chunk_crc(&frame.payload))),
                "{}",
                v.name
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "only {checked} vectors carry a crc32c");
}

#[test]
fn crc32c_has_the_castagnoli_check_value() {
    assert_eq!(chunk_crc(b"123456789"), 0xE306_9283);
}

#[test]
fn header_type_is_a_sorted_map() {
    // The "keys sorted" promise of PROTOCOL.md §2.4 rests on serde_json's default map.
    let mut h = Header::new();
    h.insert("z".into(), Value::from(1));
    h.insert("a".into(), Value::from(2));
    assert_eq!(h.keys().collect::<Vec<_>>(), ["a", "z"]);
}
