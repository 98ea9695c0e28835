//! The connection on an in-memory stream: frames split and joined across reads, both
//! deadlines, clean and unclean ends, queued and direct sends, and streamed payloads.

use bytes::Bytes;
use ferry_proto::{Header, encode_frame};
use serde_json::json;
use tokio::io::{AsyncWriteExt, DuplexStream, duplex};

use super::*;

const SHORT: Duration = Duration::from_millis(100);
const LONG: Duration = Duration::from_secs(5);

/// A connection over an in-memory stream (not a socket), and the peer's end.
fn pair() -> (Connection<DuplexStream>, DuplexStream) {
    let (ours, theirs) = duplex(4 * 1024 * 1024);
    (Connection::new(ours, SHORT, LONG), theirs)
}

fn frame(op: &str, payload: &[u8]) -> Frame {
    let serde_json::Value::Object(header) = json!({ "op": op }) else {
        unreachable!()
    };
    Frame::with_payload(header, Bytes::copy_from_slice(payload))
}

fn bytes_of(frames: &[Frame]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for f in frames {
        encode_frame(&f.header, &f.payload, &mut out).unwrap();
    }
    out.to_vec()
}

#[tokio::test]
async fn frames_that_arrive_in_one_read_are_all_decoded_without_waiting_for_more() {
    let (mut conn, mut peer) = pair();
    let frames = [frame("a", b"xyz"), frame("b", b"")];
    peer.write_all(&bytes_of(&frames)).await.unwrap();
    assert_eq!(conn.read_frame(LONG).await.unwrap().unwrap(), frames[0]);
    assert!(conn.has_buffered_input());
    assert_eq!(conn.read_frame(LONG).await.unwrap().unwrap(), frames[1]);
    assert!(!conn.has_buffered_input());
}

#[tokio::test]
async fn a_streamed_payload_is_read_through_the_connection_and_the_next_frame_follows() {
    let (mut conn, mut peer) = pair();
    let frames = [frame("big", &[5u8; 100_000]), frame("small", b"ab")];
    peer.write_all(&bytes_of(&frames)).await.unwrap();
    let streamed = |_: &Header, len: usize| ReadAs {
        streamed: len > 10,
        tag: None,
    };
    let Some(Incoming::Streamed {
        header,
        len,
        deadline,
        ..
    }) = conn.read_incoming(LONG, streamed).await.unwrap()
    else {
        panic!("the big frame is streamed");
    };
    assert_eq!((header, len), (frames[0].header.clone(), 100_000));
    let mut payload = conn.payload(len, deadline);
    let mut got = vec![0u8; 1000];
    tokio::io::AsyncReadExt::read_exact(&mut payload, &mut got)
        .await
        .unwrap();
    assert!(got.iter().all(|&b| b == 5));
    payload.finish().await.unwrap();
    match conn.read_incoming(LONG, streamed).await.unwrap() {
        Some(Incoming::Frame(f, _)) => assert_eq!(f, frames[1]),
        other => panic!("the small frame whole, got {other:?}"),
    }
}

#[tokio::test]
async fn silence_is_an_idle_timeout_and_a_started_frame_a_frame_timeout() {
    let (mut conn, mut peer) = pair();
    assert!(matches!(conn.read_frame(SHORT).await, Err(ReadError::Idle)));
    peer.write_all(&[0, 0]).await.unwrap();
    let started = tokio::time::Instant::now();
    assert!(matches!(
        conn.read_frame(LONG).await,
        Err(ReadError::FrameTimeout)
    ));
    assert!(
        started.elapsed() < LONG,
        "the frame deadline, not the idle one"
    );
}

#[tokio::test]
async fn a_close_between_frames_is_clean_and_one_inside_a_frame_is_an_error() {
    let (mut conn, peer) = pair();
    drop(peer);
    assert!(matches!(conn.read_frame(LONG).await, Ok(None)));

    let (mut conn, mut peer) = pair();
    let whole = bytes_of(&[frame("a", b"payload")]);
    peer.write_all(&whole[..whole.len() - 2]).await.unwrap();
    drop(peer);
    assert!(matches!(
        conn.read_frame(LONG).await,
        Err(ReadError::Frame(FrameError::Io(_)))
    ));
}

#[tokio::test]
async fn small_queued_and_big_direct_frames_reach_the_peer_in_order() {
    let (mut conn, theirs) = pair();
    let big = vec![7u8; DIRECT_PAYLOAD * 2];
    let sent = [frame("ack", b"1"), frame("ack", b"2"), frame("data", &big)];
    conn.feed(sent[0].clone()).await.unwrap();
    conn.feed(sent[1].clone()).await.unwrap();
    conn.send(sent[2].clone()).await.unwrap();
    let mut peer = Connection::new(theirs, LONG, LONG);
    for want in &sent {
        assert_eq!(peer.read_frame(LONG).await.unwrap().as_ref(), Some(want));
    }
}

#[tokio::test]
async fn a_slow_but_steady_reader_gets_a_big_frame_and_a_stalled_one_is_cut_off() {
    use tokio::io::AsyncReadExt;
    // The write deadline is SHORT; the frame takes about four times that to drain, 64 KiB
    // every 20 ms, each pause well inside the deadline.
    let (ours, mut theirs) = duplex(64 * 1024);
    let mut conn = Connection::new(ours, LONG, SHORT);
    let big = vec![9u8; 1 << 20];
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        while got.len() < (1 << 20) {
            let n = theirs.read(&mut buf).await.unwrap();
            got.extend_from_slice(&buf[..n]);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        theirs
    });
    let started = std::time::Instant::now();
    conn.send(frame("data", &big)).await.unwrap();
    assert!(
        started.elapsed() > SHORT,
        "the frame drained faster than the test means"
    );
    let theirs = reader.await.unwrap();

    // Now nobody reads: the next big frame fails once no byte is taken for SHORT.
    let err = conn.send(frame("data", &big)).await.unwrap_err();
    assert!(
        matches!(&err, FrameError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut),
        "{err:?}"
    );
    drop(theirs);
}
