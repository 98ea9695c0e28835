//! The frame codec on byte literals: partial input, several frames per read, limits checked
//! before allocation, and every way a header can be malformed. The encoder's own cases are in
//! `encode`, the property tests in `roundtrip`.

mod encode;
mod roundtrip;

use bytes::{Buf, Bytes, BytesMut};
use ferry_proto::{
    Frame, FrameCodec, FrameError, FrameLimits, Header, MAX_HEADER_LEN, MAX_PAYLOAD_LEN,
    encode_frame, encode_head,
};
use serde_json::{Value, json};
use tokio_util::codec::{Decoder, Encoder};

/// Length prefix + header text + payload, without going through the encoder.
fn raw(header: impl AsRef<[u8]>, payload: &[u8]) -> Vec<u8> {
    let header = header.as_ref();
    let mut v = (header.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(header);
    v.extend_from_slice(payload);
    v
}

fn header(v: Value) -> Header {
    match v {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn decode_err(bytes: &[u8]) -> FrameError {
    let mut src = BytesMut::from(bytes);
    match FrameCodec::default().decode(&mut src) {
        Err(e) => e,
        Ok(other) => panic!("expected an error, decoded {other:?}"),
    }
}

#[test]
fn partial_length_prefix_needs_more_input() {
    let bytes = raw(r#"{"op":"bye"}"#, b"");
    let mut codec = FrameCodec::default();
    let mut src = BytesMut::new();
    for &b in &bytes[..4] {
        assert!(codec.decode(&mut src).unwrap().is_none());
        src.extend_from_slice(&[b]);
    }
    src.extend_from_slice(&bytes[4..]);
    let frame = codec.decode(&mut src).unwrap().unwrap();
    assert_eq!(frame.header, header(json!({"op": "bye"})));
    assert!(src.is_empty());
}

#[test]
fn partial_header_needs_more_input() {
    let bytes = raw(r#"{"op":"pwd"}"#, b"");
    let mut codec = FrameCodec::default();
    let mut src = BytesMut::from(&bytes[..9]);
    assert!(codec.decode(&mut src).unwrap().is_none());
    assert_eq!(
        src.len(),
        9,
        "nothing is consumed until the header is complete"
    );
    src.extend_from_slice(&bytes[9..]);
    assert_eq!(
        codec.decode(&mut src).unwrap().unwrap().header,
        header(json!({"op": "pwd"}))
    );
}

#[test]
fn partial_payload_needs_more_input_then_completes() {
    let bytes = raw(r#"{"op":"upload_write","len":5}"#, b"hello");
    let split = bytes.len() - 3;
    let mut codec = FrameCodec::default();
    let mut src = BytesMut::from(&bytes[..split]);
    assert!(codec.decode(&mut src).unwrap().is_none());
    assert!(
        codec.decode(&mut src).unwrap().is_none(),
        "asking again changes nothing"
    );
    src.extend_from_slice(&bytes[split..]);
    let frame = codec.decode(&mut src).unwrap().unwrap();
    assert_eq!(frame.header, header(json!({"op": "upload_write"})));
    assert_eq!(frame.payload, Bytes::from_static(b"hello"));
    assert!(codec.decode(&mut src).unwrap().is_none());
}

#[test]
fn two_frames_in_one_buffer_decode_in_order() {
    let mut bytes = raw(r#"{"len":2,"n":1}"#, b"ab");
    bytes.extend(raw(r#"{"n":2}"#, b""));
    let mut codec = FrameCodec::default();
    let mut src = BytesMut::from(&bytes[..]);
    let first = codec.decode(&mut src).unwrap().unwrap();
    let second = codec.decode(&mut src).unwrap().unwrap();
    assert_eq!(
        (first.header, first.payload.as_ref()),
        (header(json!({"n": 1})), &b"ab"[..])
    );
    assert_eq!(
        (second.header, second.payload.len()),
        (header(json!({"n": 2})), 0)
    );
    assert!(src.is_empty());
    assert!(codec.decode(&mut src).unwrap().is_none());
}

#[test]
fn len_may_come_first_and_is_removed_from_the_header() {
    let mut src = BytesMut::from(&raw(r#"{"len":3,"op":"x"}"#, b"abc")[..]);
    let frame = FrameCodec::default().decode(&mut src).unwrap().unwrap();
    assert_eq!(
        frame,
        Frame::with_payload(header(json!({"op": "x"})), Bytes::from_static(b"abc"))
    );
}

#[test]
fn len_zero_means_no_payload() {
    let mut src = BytesMut::from(&raw(r#"{"len":0}"#, b"")[..]);
    let frame = FrameCodec::default().decode(&mut src).unwrap().unwrap();
    assert_eq!(frame, Frame::default());
}

#[test]
fn header_of_exactly_the_maximum_length_is_accepted() {
    let fill = "x".repeat(MAX_HEADER_LEN - r#"{"p":""}"#.len());
    let text = format!(r#"{{"p":"{fill}"}}"#);
    assert_eq!(text.len(), MAX_HEADER_LEN);
    let mut src = BytesMut::from(&raw(&text, b"")[..]);
    let frame = FrameCodec::default().decode(&mut src).unwrap().unwrap();
    assert_eq!(frame.header["p"].as_str().map(str::len), Some(fill.len()));

    let mut out = BytesMut::new();
    encode_frame(&frame.header, b"", &mut out).expect("the encoder accepts it too");
    assert_eq!(out.len(), 4 + MAX_HEADER_LEN);
}

#[test]
fn payload_of_exactly_the_maximum_length_is_accepted() {
    let payload = vec![0xa5; MAX_PAYLOAD_LEN];
    let mut src = BytesMut::new();
    encode_frame(&header(json!({"status": "data"})), &payload, &mut src).unwrap();
    let frame = FrameCodec::default().decode(&mut src).unwrap().unwrap();
    assert_eq!(frame.payload.len(), MAX_PAYLOAD_LEN);
    assert!(src.is_empty());
}

/// Decoding `bytes` fails with `code` without reserving room for `what`, the oversized part.
#[track_caller]
fn assert_refused_unallocated(bytes: &[u8], code: &str, what: &str) {
    let mut src = BytesMut::from(bytes);
    let err = FrameCodec::default().decode(&mut src).unwrap_err();
    assert_eq!(err.code(), code, "{what}");
    assert!(src.capacity() < 1024, "no room reserved for {what}");
}

#[test]
fn header_length_over_the_maximum_fails_on_the_prefix_alone() {
    for prefix in [MAX_HEADER_LEN as u32 + 1, 0x0001_0001, u32::MAX] {
        let what = format!("the header ({prefix:#x})");
        assert_refused_unallocated(&prefix.to_be_bytes(), "frame_too_large", &what);
    }
}

#[test]
fn payload_length_over_the_maximum_fails_on_the_header_alone() {
    for len in [MAX_PAYLOAD_LEN as u64 + 1, u32::MAX as u64, u64::MAX] {
        let frame = raw(format!(r#"{{"len":{len}}}"#), b"");
        let what = format!("the payload (len {len})");
        assert_refused_unallocated(&frame, "payload_too_large", &what);
    }
}

#[test]
fn custom_limits_are_enforced() {
    let limits = FrameLimits {
        max_header: 16,
        max_payload: 4,
    };
    let cases: [(Vec<u8>, Option<&str>); 4] = [
        (raw(r#"{"len":4}"#, b"abcd"), None),
        (raw(r#"{"len":5}"#, b"abcde"), Some("payload_too_large")),
        (raw(r#"{"abcdefghijk":1}"#, b""), Some("frame_too_large")),
        (raw(r#"{"abcdefghij":1}"#, b""), None),
    ];
    for (bytes, code) in cases {
        let mut src = BytesMut::from(&bytes[..]);
        let got = FrameCodec::new(limits).decode(&mut src);
        match code {
            None => assert!(matches!(got, Ok(Some(_))), "{got:?}"),
            Some(code) => assert_eq!(got.unwrap_err().code(), code),
        }
    }
}

#[test]
fn malformed_headers_are_rejected() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("zero header length", vec![0, 0, 0, 0]),
        (
            "zero header length before more bytes",
            vec![0, 0, 0, 0, b'{', b'}'],
        ),
        ("bad UTF-8", raw(b"{\"op\":\"\xff\"}", b"")),
        ("overlong UTF-8", raw(b"{\"op\":\"\xc0\xaf\"}", b"")),
        ("bad JSON", raw(r#"{"op":"#, b"")),
        ("trailing garbage", raw("{}x", b"")),
        ("only whitespace", raw(" ", b"")),
        ("array", raw("[]", b"")),
        ("string", raw(r#""op""#, b"")),
        ("number", raw("7", b"")),
        ("null", raw("null", b"")),
        ("bool", raw("true", b"")),
        ("negative len", raw(r#"{"len":-1}"#, b"")),
        ("string len", raw(r#"{"len":"5"}"#, b"5")),
        ("fractional len", raw(r#"{"len":5.0}"#, b"hello")),
        ("exponent len", raw(r#"{"len":5e0}"#, b"hello")),
        ("null len", raw(r#"{"len":null}"#, b"")),
        ("object len", raw(r#"{"len":{}}"#, b"")),
        (
            "len beyond u64",
            raw(r#"{"len":100000000000000000000}"#, b""),
        ),
    ];
    for (what, bytes) in cases {
        assert_eq!(decode_err(&bytes).code(), "malformed_frame", "{what}");
    }
}

#[test]
fn a_header_decoded_alone_leaves_its_payload_and_the_next_frame_in_the_buffer() {
    let mut codec = FrameCodec::default();
    let mut buf = BytesMut::from(&raw(r#"{"op":"w","len":3}"#, b"abc")[..]);
    buf.extend_from_slice(&raw(r#"{"op":"x"}"#, b""));
    assert!(codec.at_head());
    let (h, n) = codec.decode_header(&mut buf).unwrap().unwrap();
    assert_eq!((h, n), (header(json!({"op": "w"})), 3));
    assert!(buf.starts_with(b"abc"), "the payload is the caller's");
    buf.advance(3);
    let next = codec.decode(&mut buf).unwrap().unwrap();
    assert_eq!(next.header, header(json!({"op": "x"})));
    assert!(buf.is_empty());
}

#[test]
fn a_header_decoded_alone_can_hand_its_payload_back_to_the_decoder() {
    let mut codec = FrameCodec::default();
    let bytes = raw(r#"{"op":"w","len":3}"#, b"abc");
    let mut buf = BytesMut::from(&bytes[..bytes.len() - 1]);
    assert_eq!(codec.decode_header(&mut buf).unwrap().unwrap().1, 3);
    codec.expect_payload(header(json!({"op": "w"})), 3);
    assert!(!codec.at_head());
    assert!(
        codec.decode(&mut buf).unwrap().is_none(),
        "one byte missing"
    );
    buf.extend_from_slice(b"c");
    let frame = codec.decode(&mut buf).unwrap().unwrap();
    assert_eq!(frame.payload.as_ref(), b"abc");
    assert!(codec.at_head());
}

#[test]
fn a_header_alone_still_refuses_a_payload_over_the_limit() {
    let mut codec = FrameCodec::new(FrameLimits {
        max_header: 1024,
        max_payload: 2,
    });
    let mut buf = BytesMut::from(&raw(r#"{"op":"w","len":3}"#, b"abc")[..]);
    assert!(matches!(
        codec.decode_header(&mut buf),
        Err(FrameError::PayloadTooLarge { len: 3, max: 2 })
    ));
}
