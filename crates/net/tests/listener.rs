//! The listener over real sockets on loopback: the permit comes before `accept`, per-source
//! counts follow connections up and down, and shutdown drains within its grace. One file of
//! ~350 lines: every case shares the same small loopback harness at its top.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ferry_net::{Accepted, Limits, Listener, StartupLimits, bind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Generous bound for "it happened", far above every small delay below.
const MARGIN: Duration = Duration::from_secs(5);

fn limits(max_connections: usize) -> Limits {
    Limits {
        door: "test",
        max_connections,
        max_per_source: max_connections,
        // These tests are about the connection limits; the startup ones have their own test.
        startups: StartupLimits {
            per_source: max_connections,
            start: max_connections,
            rate: 100,
            full: max_connections,
        },
        shutdown_grace: Duration::from_millis(300),
        ..Limits::default()
    }
}

async fn listener(limits: Limits) -> (Listener, SocketAddr) {
    let listener = Listener::new(bind("127.0.0.1:0".parse().unwrap()).unwrap(), limits);
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Serves each connection until its client closes, counting the connections handed over.
fn start_echo(
    listener: Listener,
    shutdown: &CancellationToken,
) -> (Arc<AtomicUsize>, JoinHandle<()>) {
    let started = Arc::new(AtomicUsize::new(0));
    let counter = started.clone();
    let server = tokio::spawn(ferry_net::run(
        listener,
        shutdown.clone(),
        move |a: Accepted| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                let Accepted {
                    mut stream, permit, ..
                } = a;
                let _ = stream.write_all(&[permit.source_open() as u8]).await;
                let mut buf = [0u8; 64];
                while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
            }
        },
    ));
    (started, server)
}

/// Connections waiting in the kernel's accept queue of the listening socket on `port`
/// (`rx_queue` of a `LISTEN` socket in `/proc/net/tcp`).
fn accept_queue(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f[3] == "0A" && f[1].ends_with(&format!(":{port:04X}")))
        .map(|f| usize::from_str_radix(f[4].split(':').nth(1).unwrap(), 16).unwrap())
        .expect("the listening socket")
}

async fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < MARGIN, "not within {MARGIN:?}: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn connect_from(source: IpAddr, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(source, 0)).unwrap();
    socket.connect(addr).await.unwrap()
}

/// The byte the echo handler greets with (the source's open count), or `None` if the
/// connection was closed instead.
async fn greeting(s: &mut TcpStream) -> Option<u8> {
    let mut b = [0u8; 1];
    match tokio::time::timeout(MARGIN, s.read(&mut b))
        .await
        .expect("a greeting or a close")
    {
        Ok(1) => Some(b[0]),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_past_the_limit_waits_in_the_backlog_until_a_permit_frees() {
    let (listener, addr) = listener(limits(2)).await;
    let shutdown = CancellationToken::new();
    let (started, server) = start_echo(listener, &shutdown);

    let mut first = TcpStream::connect(addr).await.unwrap();
    let mut second = TcpStream::connect(addr).await.unwrap();
    // The kernel completes this handshake from the backlog; the server must not take it.
    let mut third = TcpStream::connect(addr).await.unwrap();
    assert!(greeting(&mut first).await.is_some());
    assert!(greeting(&mut second).await.is_some());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        started.load(Ordering::SeqCst),
        2,
        "the third was handed over past the limit"
    );
    assert_eq!(
        accept_queue(addr.port()),
        1,
        "the third was taken from the backlog before a permit was free"
    );

    drop(first);
    assert!(
        greeting(&mut third).await.is_some(),
        "the third is served once a permit frees"
    );
    assert_eq!(started.load(Ordering::SeqCst), 3);

    shutdown.cancel();
    drop((second, third));
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_source_counts_rise_with_connections_and_fall_when_they_end() {
    let (listener, addr) = listener(Limits {
        max_per_source: 2,
        ..limits(16)
    })
    .await;
    let sources = listener.sources();
    let shutdown = CancellationToken::new();
    let (started, server) = start_echo(listener, &shutdown);
    let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());

    let mut a1 = connect_from(a, addr).await;
    assert_eq!(greeting(&mut a1).await, Some(1));
    let mut a2 = connect_from(a, addr).await;
    assert_eq!(
        greeting(&mut a2).await,
        Some(2),
        "the permit sees its source's count"
    );
    let mut b1 = connect_from(b, addr).await;
    assert_eq!(
        greeting(&mut b1).await,
        Some(1),
        "another source is counted apart"
    );
    assert_eq!(
        (sources.count(a), sources.count(b), sources.len()),
        (2, 1, 2)
    );

    let mut a3 = connect_from(a, addr).await;
    assert_eq!(
        greeting(&mut a3).await,
        None,
        "a third from one source is closed"
    );
    assert_eq!(
        started.load(Ordering::SeqCst),
        3,
        "the refused one was never handed over"
    );
    assert_eq!(sources.count(a), 2);

    drop(a1);
    wait_until("a's count falls to 1", || sources.count(a) == 1).await;
    let mut a4 = connect_from(a, addr).await;
    assert_eq!(
        greeting(&mut a4).await,
        Some(2),
        "the freed place is taken again"
    );

    drop((a2, a4, b1));
    wait_until("every source leaves the table", || sources.is_empty()).await;
    shutdown.cancel();
    server.await.unwrap();
}

/// Cancels `shutdown` and waits up to [`MARGIN`] for `server` (the `run` task) to return;
/// how long that took.
async fn shut_down(shutdown: &CancellationToken, server: JoinHandle<()>) -> Duration {
    let start = Instant::now();
    shutdown.cancel();
    tokio::time::timeout(MARGIN, server)
        .await
        .expect("run returned within the margin")
        .unwrap();
    start.elapsed()
}

/// Sets its flag when dropped, so a test sees a connection's future end.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_the_grace_for_running_connections_then_ends_the_rest() {
    let (listener, addr) = listener(limits(8)).await;
    let shutdown = CancellationToken::new();
    let (polite_done, stubborn_ended) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (done, ended, token) = (
        polite_done.clone(),
        stubborn_ended.clone(),
        shutdown.clone(),
    );
    let server = tokio::spawn(ferry_net::run(
        listener,
        shutdown.clone(),
        move |a: Accepted| {
            let (done, ended, token) = (done.clone(), ended.clone(), token.clone());
            async move {
                let Accepted { mut stream, .. } = a;
                let mut which = [0u8; 1];
                stream.read_exact(&mut which).await.unwrap();
                if which[0] == b'p' {
                    // Finishes its step after shutdown, well within the grace.
                    token.cancelled().await;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    done.store(true, Ordering::SeqCst);
                } else {
                    let _flag = DropFlag(ended);
                    std::future::pending::<()>().await;
                }
            }
        },
    ));
    let mut polite = TcpStream::connect(addr).await.unwrap();
    polite.write_all(b"p").await.unwrap();
    let mut stubborn = TcpStream::connect(addr).await.unwrap();
    stubborn.write_all(b"s").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let waited = shut_down(&shutdown, server).await;
    assert!(
        waited >= Duration::from_millis(250),
        "returned after {waited:?}, before the grace"
    );
    assert!(
        polite_done.load(Ordering::SeqCst),
        "the polite connection finished its step"
    );
    assert!(
        stubborn_ended.load(Ordering::SeqCst),
        "the stubborn one was ended after the grace"
    );
    let mut rest = Vec::new();
    let read = tokio::time::timeout(MARGIN, stubborn.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the ended connection's socket is closed");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed after shutdown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_returns_as_soon_as_the_connections_finish() {
    let (listener, addr) = listener(Limits {
        shutdown_grace: Duration::from_secs(30),
        ..limits(8)
    })
    .await;
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    let server = tokio::spawn(ferry_net::run(
        listener,
        shutdown.clone(),
        move |a: Accepted| {
            let token = token.clone();
            async move {
                let _stream = a.stream;
                token.cancelled().await;
            }
        },
    ));
    let _client = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waited = shut_down(&shutdown, server).await;
    assert!(
        waited < MARGIN,
        "run returned after {waited:?}, not before the 30 s grace"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_told_the_doors_refusal_then_closed() {
    let (listener, addr) = listener(Limits {
        max_per_source: 1,
        refusal: Some(ferry_net::Refusal::new(|why| {
            format!("refused: {}\n", why.message()).into()
        })),
        ..limits(16)
    })
    .await;
    let shutdown = CancellationToken::new();
    let (started, server) = start_echo(listener, &shutdown);
    let a: IpAddr = "127.0.0.1".parse().unwrap();
    let mut held = connect_from(a, addr).await;
    assert_eq!(greeting(&mut held).await, Some(1));

    // Sends a request it never wants answered, and reads: the refusal, then the close.
    let mut refused = connect_from(a, addr).await;
    refused.write_all(&[b'x'; 10_000]).await.unwrap();
    let mut got = Vec::new();
    tokio::time::timeout(MARGIN, refused.read_to_end(&mut got))
        .await
        .expect("closed within the deadline")
        .unwrap();
    assert_eq!(got, b"refused: too many connections from your address\n");
    assert_eq!(started.load(Ordering::SeqCst), 1, "never handed over");

    // A refused peer that never reads holds nothing: another source is served at once.
    let _silent = connect_from(a, addr).await;
    let start = Instant::now();
    let mut other = connect_from("127.0.0.2".parse().unwrap(), addr).await;
    assert_eq!(greeting(&mut other).await, Some(1));
    assert!(start.elapsed() < Duration::from_millis(500));
    drop((held, other));
    shutdown.cancel();
    server.await.unwrap();
}
