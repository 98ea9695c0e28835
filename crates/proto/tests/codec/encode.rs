//! The encoder: canonical key order, `len` written last and only with a payload, raw UTF-8,
//! limits that leave the buffer untouched, and a head written alone.

use super::*;

#[test]
fn encoder_sorts_keys_and_writes_len_last_only_with_a_payload() {
    let h = header(json!({"z": 1, "a": {"y": 2, "b": 3}, "len": 99}));
    let mut out = BytesMut::new();
    encode_frame(&h, b"ab", &mut out).unwrap();
    assert_eq!(
        out.as_ref(),
        raw(r#"{"a":{"b":3,"y":2},"z":1,"len":2}"#, b"ab").as_slice()
    );

    out.clear();
    encode_frame(&h, b"", &mut out).unwrap();
    assert_eq!(
        out.as_ref(),
        raw(r#"{"a":{"b":3,"y":2},"z":1}"#, b"").as_slice()
    );

    out.clear();
    encode_frame(&Header::new(), b"x", &mut out).unwrap();
    assert_eq!(out.as_ref(), raw(r#"{"len":1}"#, b"x").as_slice());
}

#[test]
fn encoder_writes_non_ascii_as_raw_utf8() {
    let mut out = BytesMut::new();
    encode_frame(&header(json!({"path": "café\n\"x\"/\u{1}"})), b"", &mut out).unwrap();
    assert_eq!(
        out.as_ref(),
        raw("{\"path\":\"café\\n\\\"x\\\"/\\u0001\"}", b"").as_slice()
    );
}

#[test]
fn encoder_appends_after_existing_bytes() {
    let mut out = BytesMut::from(&b"prev"[..]);
    encode_frame(&header(json!({"op": "bye"})), b"", &mut out).unwrap();
    assert_eq!(&out[..4], b"prev");
    assert_eq!(&out[4..], raw(r#"{"op":"bye"}"#, b"").as_slice());
}

#[test]
fn encoder_refuses_oversized_frames_and_leaves_the_buffer_as_it_was() {
    let mut out = BytesMut::from(&b"prev"[..]);
    let too_long = vec![0; MAX_PAYLOAD_LEN + 1];
    let err = encode_frame(&Header::new(), &too_long, &mut out).unwrap_err();
    assert_eq!(err.code(), "payload_too_large");
    assert_eq!(out.as_ref(), b"prev");

    let big = header(json!({"p": "x".repeat(MAX_HEADER_LEN)}));
    let err = encode_frame(&big, b"", &mut out).unwrap_err();
    assert_eq!(err.code(), "frame_too_large");
    assert_eq!(out.as_ref(), b"prev");
}

#[test]
fn codec_as_encoder_matches_encode_frame() {
    let frame = Frame::with_payload(header(json!({"op": "x"})), Bytes::from_static(b"12"));
    let mut a = BytesMut::new();
    FrameCodec::default().encode(frame.clone(), &mut a).unwrap();
    let mut b = BytesMut::new();
    encode_frame(&frame.header, &frame.payload, &mut b).unwrap();
    assert_eq!(a, b);
}

#[test]
fn a_head_encoded_alone_then_the_payload_is_the_same_bytes_as_the_whole_frame() {
    let h = header(json!({"status": "data", "offset": 7, "crc32c": 1}));
    let payload = vec![0xA5u8; 70_000];
    let mut whole = BytesMut::new();
    encode_frame(&h, &payload, &mut whole).unwrap();
    let mut split = BytesMut::new();
    encode_head(&h, payload.len(), &mut split).unwrap();
    split.extend_from_slice(&payload);
    assert_eq!(whole, split);

    let mut out = BytesMut::new();
    assert!(matches!(
        encode_head(&h, MAX_PAYLOAD_LEN + 1, &mut out),
        Err(FrameError::PayloadTooLarge { .. })
    ));
    assert!(out.is_empty(), "nothing is written for a refused frame");
}
