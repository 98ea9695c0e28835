//! The HTTP door on a real socket, for tests that need real connections (a slow body, a
//! second connection while the first is still sending, `Expect: 100-continue`): a reqwest
//! client with alice's credentials, and raw requests written by hand.

use std::net::SocketAddr;
use std::time::Duration;

use ferry_core::Config;
use ferry_http::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::support::{PASSWORD, USER, basic};

/// A server on loopback over a core in a temp folder, with alice (and her `quota`).
pub struct Live {
    pub dir: tempfile::TempDir,
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    shutdown: CancellationToken,
}

impl Drop for Live {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Live {
    pub async fn start(limits: Limits, quota: Option<u64>) -> Live {
        let dir = tempfile::tempdir().unwrap();
        let ferry = ferry_store_local::open(Config::new(dir.path().join("data")))
            .await
            .unwrap();
        ferry
            .add_user(USER.parse().unwrap(), PASSWORD.into(), quota)
            .await
            .unwrap();
        let app = ferry_http::app(ferry, limits.clone());
        let listener = ferry_http::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        tokio::spawn(ferry_http::serve(listener, app, limits, shutdown.clone()));
        Live {
            dir,
            addr,
            http: reqwest::Client::new(),
            shutdown,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A request with alice's credentials.
    pub fn req(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method.parse().unwrap(), self.url(path))
            .header("authorization", basic(USER, PASSWORD))
    }

    /// A file in alice's home, if it is there.
    pub fn file(&self, path: &str) -> Option<Vec<u8>> {
        std::fs::read(self.dir.path().join("data/homes").join(USER).join(path)).ok()
    }

    /// A raw connection with a request head written (`headers` as `name: value` lines) and
    /// `body` sent after it.
    pub async fn raw(&self, head: &str, body: &[u8]) -> TcpStream {
        let mut s = TcpStream::connect(self.addr).await.unwrap();
        let head = format!(
            "{head}\r\nhost: {}\r\nauthorization: {}\r\n\r\n",
            self.addr,
            basic(USER, PASSWORD)
        );
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(body).await.unwrap();
        s.flush().await.unwrap();
        s
    }
}

/// What the server sent on `s` within `limit` (until it closed or went quiet).
pub async fn read_some(s: &mut TcpStream, limit: Duration) -> String {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let deadline = tokio::time::Instant::now() + limit;
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        if got.windows(4).any(|w| w == b"\r\n\r\n") {
            // A whole head arrived; give the body a moment, then stop.
            if let Ok(Ok(n)) =
                tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await
            {
                got.extend_from_slice(&buf[..n]);
            }
            break;
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}
