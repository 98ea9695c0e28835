//! The listener on real sockets under tiny limits: clients that stall or send too much are cut
//! off without stopping the others, and shutdown is bounded by its grace.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ferry_http::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::support::{PASSWORD, TestApp, USER, basic, data};

/// Generous bound for "the server reacted", far above every tiny limit below.
const MARGIN: Duration = Duration::from_secs(5);

fn tiny() -> Limits {
    Limits {
        header_timeout: Duration::from_millis(300),
        max_header_bytes: 2048,
        body_idle_timeout: Duration::from_millis(300),
        shutdown_grace: Duration::from_millis(500),
        ..Limits::default()
    }
}

struct Running {
    app: TestApp,
    addr: SocketAddr,
    shutdown: CancellationToken,
    server: JoinHandle<()>,
}

async fn start(limits: Limits) -> Running {
    let app = TestApp::with_limits(limits.clone()).await;
    let listener = ferry_http::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(ferry_http::serve(
        listener,
        app.app.clone(),
        limits,
        shutdown.clone(),
    ));
    Running {
        app,
        addr,
        shutdown,
        server,
    }
}

/// Everything the server sends until it closes, or `None` if it is still open after `limit`.
async fn read_until_closed(s: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let read_all = async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(limit, read_all).await.ok()?;
    Some(got)
}

/// The status of a `GET /healthz` on a fresh connection.
/// Everything the server sent, as text, once it closed within [`MARGIN`]; `closed` says
/// why it must have.
async fn text_until_closed(s: &mut TcpStream, closed: &str) -> String {
    let reply = read_until_closed(s, MARGIN).await.expect(closed);
    String::from_utf8_lossy(&reply).into_owned()
}

async fn healthz(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let reply = read_until_closed(&mut s, MARGIN).await.expect("a reply");
    String::from_utf8_lossy(&reply)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_mid_head_is_disconnected_after_the_header_timeout() {
    let run = start(tiny()).await;
    let mut s = TcpStream::connect(run.addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        .await
        .unwrap();
    let start = Instant::now();
    let reply = read_until_closed(&mut s, MARGIN).await;
    assert!(
        reply.is_some(),
        "connection still open {MARGIN:?} after a half head (header_timeout 300 ms)"
    );
    assert!(
        !String::from_utf8_lossy(&reply.unwrap()).contains("200 OK"),
        "a half head was served"
    );
    assert!(start.elapsed() < MARGIN);
    assert_eq!(healthz(run.addr).await, "HTTP/1.1 200 OK");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_over_max_header_bytes_is_431_or_closed() {
    let run = start(tiny()).await;
    // Far past the limit, and twice it.
    for size in [64 * 1024, 4 * 1024] {
        let mut s = TcpStream::connect(run.addr).await.unwrap();
        let head = format!(
            "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Padding: {}\r\n\r\n",
            "a".repeat(size)
        );
        // The server may close before reading it all.
        let _ = s.write_all(head.as_bytes()).await;
        let text = text_until_closed(&mut s, "closed after an oversized head").await;
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 431"),
            "a {size}-byte header with max_header_bytes 2048: {}",
            text.lines().next().unwrap_or_default()
        );
    }
    assert_eq!(healthz(run.addr).await, "HTTP/1.1 200 OK");
}

/// A head over the cap that hyper's own buffer (8 KiB here) accepts: only the door's exact
/// cap stands between it and the handler, so it must be `431 header_too_large`, and one just
/// under the cap is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_just_over_the_cap_is_431_header_too_large_and_one_under_it_is_served() {
    let run = start(tiny()).await;
    for (padding, expect) in [(3000, "HTTP/1.1 431"), (1500, "HTTP/1.1 200")] {
        let mut s = TcpStream::connect(run.addr).await.unwrap();
        let head = format!(
            "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Padding: {}\r\n\r\n",
            "a".repeat(padding)
        );
        s.write_all(head.as_bytes()).await.unwrap();
        let text = text_until_closed(&mut s, "a reply").await;
        assert!(
            text.starts_with(expect),
            "{padding} bytes of padding, max_header_bytes 2048: {}",
            text.lines().next().unwrap_or_default()
        );
        if padding > 2048 {
            assert!(text.contains("\"code\":\"header_too_large\""), "{text}");
            assert!(text.contains("x-request-id: "), "{text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_upload_body_ends_its_request_while_others_are_served() {
    let run = start(tiny()).await;
    let mut s = TcpStream::connect(run.addr).await.unwrap();
    let head = format!(
        "PUT /api/v1/files/stalled.bin HTTP/1.1\r\nHost: t\r\nAuthorization: {}\r\n\
         Content-Length: 100\r\n\r\n",
        basic(USER, PASSWORD)
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&[7u8; 10]).await.unwrap();
    // Served while the upload is stalled.
    assert_eq!(healthz(run.addr).await, "HTTP/1.1 200 OK");
    let ended = "the stalled request ended within 5 s (body_idle_timeout 300 ms)";
    let text = text_until_closed(&mut s, ended).await;
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "stalled body: {text}"
    );
    if !text.is_empty() {
        assert!(text.contains("body_timeout"), "{text}");
    }
    assert!(!run.app.home().join("stalled.bin").exists());
    let quota = run.app.quota().await;
    assert_eq!(
        quota["reserved"], 0,
        "the stalled upload released its reservation"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_a_streaming_download_at_most_its_grace_and_then_cuts_it() {
    let run = start(tiny()).await;
    // Far more than the socket buffers hold, so the download is still streaming.
    let len = 24 * 1024 * 1024;
    run.app.put("big.bin", &data(len, 11)).await;
    let mut s = TcpStream::connect(run.addr).await.unwrap();
    let head = format!(
        "GET /api/v1/files/big.bin HTTP/1.1\r\nHost: t\r\nAuthorization: {}\r\n\r\n",
        basic(USER, PASSWORD)
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut first = vec![0u8; 64 * 1024];
    let n = s.read(&mut first).await.unwrap();
    assert!(
        String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"),
        "the download started"
    );

    let start = Instant::now();
    run.shutdown.cancel();
    let Running { server, addr, .. } = run;
    tokio::time::timeout(Duration::from_millis(500) + MARGIN, server)
        .await
        .expect("serve returned within shutdown_grace + 5 s")
        .unwrap();
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(400),
        "serve returned after {waited:?}: it did not wait for the running download"
    );
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed after shutdown"
    );
    let rest = read_until_closed(&mut s, Duration::from_secs(10))
        .await
        .expect("the cut download's connection closes");
    assert!(
        n + rest.len() < len,
        "after the grace the remaining download was cut, but the client still received all \
         {} bytes",
        n + rest.len()
    );
}

/// Reads one response (head and `Content-Length` body); its head as lowercase text.
async fn read_response(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let read = async {
        loop {
            if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&got[..end]).to_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if got.len() >= end + 4 + len {
                    return head;
                }
            }
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return String::from_utf8_lossy(&got).to_lowercase(),
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(MARGIN, read)
        .await
        .expect("a response")
}

/// A refusal sent before the body was read must not leave the client guessing: either the
/// response says `Connection: close`, or the connection still serves the next request.
/// (reqwest reuses such a connection and fails with a broken pipe otherwise.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_early_refusal_of_an_unread_body_closes_the_connection_explicitly_or_keeps_it_usable() {
    let run = start(tiny()).await;
    let mut s = TcpStream::connect(run.addr).await.unwrap();
    let body = vec![1u8; 256 * 1024];
    let head = format!(
        "PUT /api/v1/files/x.bin HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let _ = s.write_all(&body).await;
    let head = read_response(&mut s).await;
    assert!(head.starts_with("http/1.1 401"), "{head}");
    if head.contains("connection: close") {
        return;
    }
    let _ = s
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .await;
    let next = read_response(&mut s).await;
    assert!(
        next.starts_with("http/1.1 200"),
        "the 401 to an unread PUT body kept the connection alive (no `Connection: close`), \
         but the next request on it got {:?}",
        next.lines().next().unwrap_or("EOF")
    );
}
