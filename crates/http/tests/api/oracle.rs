//! Upload ids are no oracle over HTTP either: on the real listener, while alice's chunk PUT is
//! mid-body, bob's GET, HEAD, PUT and DELETE of her upload answer `404 upload_not_found`, as
//! for an id that names nothing (not `409 upload_busy`, which would tell him it exists).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ferry_core::Config;
use ferry_http::Limits;
use reqwest::{Method, RequestBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::support::{basic, data, md5_hex};

const SIZE: usize = 3 << 20;
const ALICE: (&str, &str) = ("alice", "alice's long password");
const BOB: (&str, &str) = ("bob", "bob's rather long password");

struct Gateway {
    _dir: tempfile::TempDir,
    addr: SocketAddr,
    shutdown: CancellationToken,
    http: reqwest::Client,
}

impl Gateway {
    /// `ferry_http::serve` on a free port over a core with alice and bob.
    async fn start() -> Gateway {
        let dir = tempfile::tempdir().unwrap();
        let ferry = ferry_store_local::open(Config::new(dir.path().join("data")))
            .await
            .unwrap();
        for (name, password) in [ALICE, BOB] {
            ferry
                .add_user(name.parse().unwrap(), password.into(), None)
                .await
                .unwrap();
        }
        let limits = Limits::default();
        let app = ferry_http::app(ferry, limits.clone());
        let listener = ferry_http::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        tokio::spawn(ferry_http::serve(listener, app, limits, shutdown.clone()));
        Gateway {
            _dir: dir,
            addr,
            shutdown,
            http: reqwest::Client::new(),
        }
    }

    fn req(&self, who: (&str, &str), method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("http://{}{path}", self.addr))
            .basic_auth(who.0, Some(who.1))
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Status and problem code of one request (`-` when the body is not a problem).
async fn answer(r: RequestBuilder) -> (u16, String) {
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.bytes().await.unwrap();
    let code = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_string))
        .unwrap_or_else(|| "-".into());
    (status, code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_upload_is_404_while_its_owner_is_sending_a_chunk() {
    let gw = Gateway::start().await;
    let file = data(SIZE, 11);
    let created = gw
        .req(ALICE, Method::POST, "/api/v1/uploads")
        .json(&serde_json::json!({"path": "/mine.bin", "size": SIZE, "md5": md5_hex(&file)}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!("/api/v1/uploads/{id}");

    // Alice's whole file as one chunk, of which only half is sent for now.
    let mut alice = TcpStream::connect(gw.addr).await.unwrap();
    let head = format!(
        "PUT {url} HTTP/1.1\r\nHost: t\r\nAuthorization: {}\r\nContent-Range: bytes 0-{}/{SIZE}\r\n\
         Content-Length: {SIZE}\r\nConnection: close\r\n\r\n",
        basic(ALICE.0, ALICE.1),
        SIZE - 1
    );
    alice.write_all(head.as_bytes()).await.unwrap();
    let half = SIZE / 2;
    alice.write_all(&file[..half]).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = gw.req(ALICE, Method::GET, &url).send().await.unwrap();
        let offset = r.json::<serde_json::Value>().await.unwrap()["offset"]
            .as_u64()
            .unwrap();
        if offset > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "alice's chunk never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let mut answers = Vec::new();
    for (what, r) in [
        ("GET", gw.req(BOB, Method::GET, &url)),
        ("HEAD", gw.req(BOB, Method::HEAD, &url)),
        (
            "PUT query",
            gw.req(BOB, Method::PUT, &url)
                .header("content-range", format!("bytes */{SIZE}")),
        ),
        (
            "PUT chunk",
            gw.req(BOB, Method::PUT, &url)
                .header("content-range", format!("bytes {half}-{}/{SIZE}", half + 2))
                .body(&b"bob"[..]),
        ),
        ("DELETE", gw.req(BOB, Method::DELETE, &url)),
    ] {
        answers.push((what, answer(r).await));
    }

    // Alice's chunk was not disturbed: the rest of it commits the exact file.
    alice.write_all(&file[half..]).await.unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), alice.read_to_end(&mut reply))
        .await
        .expect("alice's chunk is answered")
        .unwrap();
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 201"), "alice's chunk: {reply}");
    let got = gw
        .req(ALICE, Method::GET, "/api/v1/files/mine.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    let got = got.bytes().await.unwrap();
    assert_eq!((got.len(), md5_hex(&got)), (SIZE, md5_hex(&file)));

    let wrong: Vec<_> = answers
        .iter()
        .filter(|(what, (status, code))| {
            *status != 404 || (*what != "HEAD" && code != "upload_not_found")
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "while alice's chunk is mid-body, bob's requests on her upload must answer 404 \
         upload_not_found; these did not: {wrong:?}"
    );
}
