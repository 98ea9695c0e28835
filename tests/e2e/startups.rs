//! No cheap lock-outs: one address holding hundreds of silent sockets cannot stop a user at
//! another address from logging in, on either door. The listener keeps at most
//! `--max-startups-per-source` not-yet-logged-in connections per source and closes the rest
//! at accept; without that, the silent sockets would hold every connection slot (here 200)
//! and the user would wait for a timeout.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine as _;
use tokio_util::codec::Decoder as _;

use crate::support::{PASSWORD, Raw, Server, code, tcp_from};

const USER: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const SILENT: usize = 300;

/// `n` connections from `source` that never send a byte.
fn silent_sockets(source: IpAddr, addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    (0..n).map(|_| tcp_from(source, addr)).collect()
}

/// A server that keeps two not-yet-logged-in connections per source, and two silent ones
/// from [`ATTACKER`] to the door `door` names, given 100 ms to be accepted.
fn attacker_at_its_startup_limit(door: impl Fn(&Server) -> SocketAddr) -> (Server, Vec<TcpStream>) {
    let server = Server::start(&["--max-startups-per-source", "2"]);
    let held = silent_sockets(ATTACKER, door(&server), 2);
    std::thread::sleep(Duration::from_millis(100));
    (server, held)
}

/// Says hello on `raw` and logs in as admin, each answer within 5 s.
fn log_in(raw: &mut Raw) {
    raw.stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    raw.hello();
    assert_eq!(raw.login("admin", PASSWORD)["status"], "ok");
}

/// A TCP connection from `source` that logged in as admin (see [`log_in`]).
fn logged_in_from(source: IpAddr, addr: SocketAddr) -> Raw {
    let mut raw = Raw::connect_from(source, addr);
    log_in(&mut raw);
    raw
}

/// Status line of a Basic-authenticated `GET /api/v1/me` from `source`, within 5 s.
fn http_me(source: IpAddr, addr: SocketAddr) -> String {
    http_me_as(source, addr, PASSWORD, "")
}

/// The same with a chosen password and extra header lines (each ending in `\r\n`).
fn http_me_as(source: IpAddr, addr: SocketAddr, password: &str, extra: &str) -> String {
    let mut stream = tcp_from(source, addr);
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("admin:{password}"));
    write!(
        stream,
        "GET /api/v1/me HTTP/1.1\r\nhost: x\r\nauthorization: Basic {auth}\r\n{extra}connection: close\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 12];
    stream
        .read_exact(&mut head)
        .expect("an answer within 5 s while the silent sockets are held");
    String::from_utf8_lossy(&head).into_owned()
}

#[test]
fn silent_sockets_from_one_address_do_not_lock_out_another_on_either_door() {
    let server = Server::start(&["--max-connections", "200"]);
    let _tcp_held = silent_sockets(ATTACKER, server.addr, SILENT);
    let _http_held = silent_sockets(ATTACKER, server.http, SILENT);

    let _user = logged_in_from(USER, server.addr);
    assert_eq!(http_me(USER, server.http), "HTTP/1.1 200");
}

#[test]
fn an_http_connection_that_sends_nothing_is_closed_after_the_first_request_timeout() {
    let server = Server::start(&["--http-first-request-timeout", "0.2"]);
    let mut silent = TcpStream::connect(server.http).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 1];
    // hyper's own header timeout is 10 s; the first-request one closes it well before the 5 s
    // read timeout.
    assert_eq!(silent.read(&mut buf).expect("closed, not timed out"), 0);
}

/// Six failures for admin from the client a request names in `X-Forwarded-For`, then the
/// right password from another named client: the status lines of (the sixth failure's
/// follow-up from the same client, the other client).
fn forwarded_lockout(extra: &[&str]) -> (String, String) {
    let server = Server::start(extra);
    let from = |client: &str| format!("x-forwarded-for: {client}\r\n");
    for _ in 0..6 {
        let status = http_me_as(USER, server.http, "wrong", &from("198.51.100.1"));
        assert_eq!(status, "HTTP/1.1 401");
    }
    (
        http_me_as(USER, server.http, PASSWORD, &from("198.51.100.1")),
        http_me_as(USER, server.http, PASSWORD, &from("198.51.100.2")),
    )
}

#[test]
fn forwarded_for_names_the_client_only_behind_a_trusted_proxy() {
    let (same, other) = forwarded_lockout(&["--trusted-proxy", "10.0.0.0/8,127.0.0.1/32"]);
    assert_eq!(same, "HTTP/1.1 429", "the named client is locked");
    assert_eq!(
        other, "HTTP/1.1 200",
        "another client behind the proxy is not"
    );

    let (same, other) = forwarded_lockout(&[]);
    assert_eq!(same, "HTTP/1.1 429");
    assert_eq!(
        other, "HTTP/1.1 429",
        "from an untrusted peer the header is ignored: both are the peer"
    );
}

/// Whether the server refused `stream` at accept: within 500 ms it sent one `limit_reached`
/// frame and closed, rather than waiting for the client to speak.
fn refused_by_server(stream: &TcpStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut got = Vec::new();
    match (&*stream).read_to_end(&mut got) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(_) => return false,
    }
    let mut buf = bytes::BytesMut::from(&got[..]);
    let frame = ferry_proto::FrameCodec::default().decode(&mut buf).unwrap();
    let frame = frame.expect("a refused connection is told why before it is closed");
    assert_eq!(code(&frame.header), "limit_reached", "{:?}", frame.header);
    assert!(buf.is_empty(), "one frame, then the close");
    true
}

#[test]
fn a_tcp_connection_refused_at_accept_gets_one_limit_reached_frame() {
    let (server, _held) = attacker_at_its_startup_limit(|s| s.addr);
    let started = Instant::now();
    let mut refused = Raw::connect_from(ATTACKER, server.addr);
    refused
        .stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let frame = refused.recv().expect("an explanation before the close");
    assert_eq!(code(&frame.header), "limit_reached", "{:?}", frame.header);
    assert!(
        frame.header["message"]
            .as_str()
            .unwrap()
            .contains("waiting to log in")
    );
    assert!(refused.is_closed(), "the refused connection stays open");
    assert!(started.elapsed() < Duration::from_secs(1));

    // A crowd of refused peers that never read holds nothing: another address logs in at once.
    let _ignored = silent_sockets(ATTACKER, server.addr, 200);
    let started = Instant::now();
    logged_in_from(USER, server.addr);
    assert!(started.elapsed() < Duration::from_secs(1));
}

/// Everything the server sends on `stream` until it closes (within 2 s).
fn read_all(mut stream: TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut got = Vec::new();
    stream
        .read_to_end(&mut got)
        .expect("the server closes a refused connection after answering");
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn an_http_connection_refused_at_accept_gets_503_with_retry_after() {
    let (server, _held) = attacker_at_its_startup_limit(|s| s.http);
    // One that asks, and one that never sends a byte: both are answered without waiting.
    let mut asking = tcp_from(ATTACKER, server.http);
    write!(
        asking,
        "GET /api/v1/me HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let silent = tcp_from(ATTACKER, server.http);
    for answer in [read_all(asking), read_all(silent)] {
        let (head, body) = answer.split_once("\r\n\r\n").expect("a whole response");
        assert!(head.starts_with("HTTP/1.1 503 "), "{answer}");
        let head = format!("{}\r\n", head.to_ascii_lowercase());
        assert!(head.contains("\r\nretry-after: 1\r\n"), "{answer}");
        assert!(head.contains("\r\nconnection: close\r\n"), "{answer}");
        assert!(
            head.contains("\r\ncontent-type: application/problem+json\r\n"),
            "{answer}"
        );
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["code"], "limit_reached", "{answer}");
        assert_eq!(problem["status"], 503, "{answer}");
    }
    // The user at another address is not affected.
    assert_eq!(http_me(USER, server.http), "HTTP/1.1 200");
}

#[test]
fn logged_in_connections_from_one_address_cannot_take_every_slot() {
    // 40 slots in all, 15 per source: an address that logs in again and again keeps 15.
    let server = Server::start(&[
        "--max-connections",
        "40",
        "--max-connections-per-source",
        "15",
    ]);
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..40 {
        let mut raw = Raw::connect_from(ATTACKER, server.addr);
        if refused_by_server(&raw.stream) {
            refused += 1;
            continue;
        }
        log_in(&mut raw);
        held.push(raw);
    }
    assert_eq!(held.len(), 15, "one address keeps at most its share");
    assert_eq!(refused, 25);

    logged_in_from(USER, server.addr);
}
