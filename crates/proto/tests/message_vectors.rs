//! The message vectors of `docs/PROTOCOL.md` against the typed messages: each request vector
//! parses into a [`Request`] and each response vector into its [`Reply`] type, and both encode
//! back to the very same bytes, so the types keep the wire exactly as documented.

mod vectors;

use ferry_core::ExecStream;
use ferry_core::model::Listing;
use ferry_proto::{
    AuthFinishReply, AuthStartReply, DownloadData, DownloadEnd, DownloadHead, EntryReply,
    ErrorReply, ExecOutput, ExecReply, Frame, HelloReply, MAX_HEADER_LEN, MAX_PAYLOAD_LEN,
    MECHANISM, OffsetReply, Reply, Request, Response, UploadReply, chunk_crc,
};
use vectors::{Vector, decode_all, encode, protocol_md, vector, vectors};

/// Decodes vector `id` as a reply of type `R` and encodes that value again.
fn reply_round_trip<R: Reply + std::fmt::Debug>(vs: &[Vector], id: &str) -> R {
    let v = vector(vs, id);
    let frame = decode_all(&v.bytes).0.unwrap().unwrap();
    let response = Response::from_header(frame.header).unwrap();
    let reply: R = response
        .reply()
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    assert_eq!(
        encode(&reply.to_frame(frame.payload)),
        v.bytes,
        "{}: {reply:?} re-encodes differently",
        v.name
    );
    reply
}

#[test]
fn request_vectors_parse_into_requests_that_encode_to_the_same_bytes() {
    let vs = vectors(&protocol_md());
    for id in [
        "V1", "V3", "V5", "V7", "V9", "V11", "V13", "V16", "V17", "V21", "V22",
    ] {
        let v = vector(&vs, id);
        let frame = decode_all(&v.bytes).0.unwrap().unwrap();
        let request =
            Request::from_header(&frame.header).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(
            encode(&request.into_frame(frame.payload)),
            v.bytes,
            "{}",
            v.name
        );
    }
}

#[test]
fn reply_vectors_parse_into_their_reply_types_and_encode_to_the_same_bytes() {
    let vs = vectors(&protocol_md());
    reply_round_trip::<HelloReply>(&vs, "V2");
    reply_round_trip::<AuthStartReply>(&vs, "V4");
    reply_round_trip::<AuthFinishReply>(&vs, "V6");
    reply_round_trip::<Listing>(&vs, "V8");
    reply_round_trip::<ErrorReply>(&vs, "V10");
    reply_round_trip::<UploadReply>(&vs, "V12");
    reply_round_trip::<OffsetReply>(&vs, "V14");
    let mismatch = reply_round_trip::<ErrorReply>(&vs, "V15");
    assert_eq!(mismatch.details["offset"], 5);
    reply_round_trip::<DownloadHead>(&vs, "V18");
    reply_round_trip::<DownloadData>(&vs, "V19");
    reply_round_trip::<DownloadEnd>(&vs, "V20");
    reply_round_trip::<ExecOutput>(&vs, "V23");
    reply_round_trip::<ExecReply>(&vs, "V24");
    reply_round_trip::<ExecOutput>(&vs, "V25");
}

#[test]
fn replies_built_from_values_are_the_vectors_bytes() {
    let vs = vectors(&protocol_md());
    let hello = HelloReply {
        version: 1,
        server: "ferry/0.1.0".into(),
        max_header: MAX_HEADER_LEN,
        max_payload: MAX_PAYLOAD_LEN,
        mechanisms: vec![MECHANISM.into()],
    };
    let md5 = ferry_core::md5hex::Md5Digest::parse("5d41402abc4b2a76b9719d911017c592").unwrap();
    let hello_bytes = bytes::Bytes::from_static(b"hello");
    let built = [
        ("V2", hello.to_frame(bytes::Bytes::new())),
        (
            "V14",
            OffsetReply { offset: 5 }.to_frame(bytes::Bytes::new()),
        ),
        (
            "V18",
            DownloadHead {
                size: 5,
                md5,
                offset: 0,
            }
            .to_frame(bytes::Bytes::new()),
        ),
        (
            "V19",
            DownloadData {
                offset: 0,
                crc32c: chunk_crc(&hello_bytes),
            }
            .to_frame(hello_bytes.clone()),
        ),
        ("V20", DownloadEnd { size: 5 }.to_frame(bytes::Bytes::new())),
        (
            "V23",
            ExecOutput {
                id: 1,
                stream: ExecStream::Stdout,
            }
            .to_frame(bytes::Bytes::from_static(b"a;b")),
        ),
    ];
    for (id, frame) in built {
        assert_eq!(encode(&frame), vector(&vs, id).bytes, "{id}");
    }
    let error = ferry_proto::error_header(
        "offset_mismatch",
        "wrong offset 0: the upload holds 5 bytes",
        serde_json::json!({"offset": 5}).as_object().cloned(),
    );
    assert_eq!(encode(&Frame::new(error)), vector(&vs, "V15").bytes);
}

#[test]
fn a_reply_of_another_status_is_refused() {
    let vs = vectors(&protocol_md());
    let frame = decode_all(&vector(&vs, "V20").bytes).0.unwrap().unwrap();
    let end = Response::from_header(frame.header).unwrap();
    assert!(end.reply::<EntryReply>().is_err());
    assert_eq!(end.reply::<DownloadEnd>().unwrap().size, 5);
}
