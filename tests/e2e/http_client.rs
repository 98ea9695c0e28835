//! A blocking HTTP client for the gateway of the binary under test (reqwest on a private
//! runtime), for tests that mix it with the blocking TCP helpers.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Server, random_file};

/// A blocking face on reqwest for the HTTP door. Connections are not reused: the server
/// closes one after refusing a body it did not read, and is restarted in one test.
pub struct Http {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
    base: String,
    user: String,
    password: String,
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = &self.body[..self.body.len().min(400)];
        write!(f, "{} {}", self.status, String::from_utf8_lossy(shown))
    }
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    pub fn code(&self) -> String {
        serde_json::from_slice::<Value>(&self.body)
            .ok()
            .and_then(|v| v["code"].as_str().map(str::to_string))
            .unwrap_or_else(|| "<none>".into())
    }
}

impl Http {
    pub fn new(server: &Server, user: &str, password: &str) -> Http {
        Http {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            base: format!("http://{}", server.http),
            user: user.into(),
            password: password.into(),
        }
    }

    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        self.try_send(method, path, headers, body)
            .expect("an HTTP response")
    }

    /// [`send`](Self::send), with a transport failure returned (a server that answers before
    /// reading a large body and closes leaves the client a broken pipe instead).
    pub fn try_send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Option<Vec<u8>>,
    ) -> reqwest::Result<Reply> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .basic_auth(&self.user, Some(&self.password))
            .timeout(Duration::from_secs(60));
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        self.rt.block_on(async {
            let resp = req.send().await?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = resp.bytes().await?.to_vec();
            Ok(Reply {
                status,
                headers,
                body,
            })
        })
    }

    /// `method path` with `Authorization: Bearer TOKEN` instead of Basic credentials.
    pub fn bearer(&self, method: &str, path: &str, token: &str) -> Reply {
        self.without_basic(
            method,
            path,
            &[("authorization", format!("Bearer {token}"))],
        )
    }

    /// `method path` with these headers and no Basic credentials (public routes).
    pub fn without_basic(&self, method: &str, path: &str, headers: &[(&str, String)]) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .timeout(Duration::from_secs(60));
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        self.rt.block_on(async {
            let resp = req.send().await.expect("an HTTP response");
            Reply {
                status: resp.status().as_u16(),
                headers: resp.headers().clone(),
                body: resp.bytes().await.unwrap().to_vec(),
            }
        })
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, &[], None)
    }

    pub fn json(&self, method: &str, path: &str, doc: Value) -> Reply {
        let headers = [("content-type", "application/json".to_string())];
        self.send(method, path, &headers, Some(doc.to_string().into_bytes()))
    }

    /// Creates an upload of `data` at `path`, declaring its MD5; returns the upload id.
    pub fn create_upload(&self, path: &str, data: &[u8]) -> String {
        use md5::Digest as _;
        let md5 = hex::encode(md5::Md5::digest(data));
        let r = self.json(
            "POST",
            "/api/v1/uploads",
            serde_json::json!({"path": path, "size": data.len(), "md5": md5}),
        );
        assert_eq!(r.status, 201, "{r:?}");
        r.json()["id"].as_str().unwrap().to_string()
    }

    /// `PUT /api/v1/uploads/ID` of `data[first..]`, retried while the other door still holds
    /// the upload (its connection's lease ends when the server sees it close).
    pub fn put_rest(&self, id: &str, data: &[u8], first: usize) -> Reply {
        let range = format!("bytes {first}-{}/{}", data.len() - 1, data.len());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let r = self.try_send(
                "PUT",
                &format!("/api/v1/uploads/{id}"),
                &[("content-range", range.clone())],
                Some(data[first..].to_vec()),
            );
            // A busy answer to a large body may reach the client as a broken pipe.
            let busy = r.as_ref().map_or(true, |r| r.code() == "upload_busy");
            if !busy || Instant::now() > deadline {
                return r.expect("an HTTP response");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The offset `GET /api/v1/uploads/ID` reports.
    pub fn offset(&self, id: &str) -> u64 {
        let r = self.get(&format!("/api/v1/uploads/{id}"));
        assert_eq!(r.status, 200, "{r:?}");
        r.json()["offset"].as_u64().expect("an offset")
    }
}

/// `len` seeded pseudo-random bytes.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let tmp = tempfile::NamedTempFile::new().unwrap();
    random_file(tmp.path(), len as u64, seed);
    std::fs::read(tmp.path()).unwrap()
}

impl Http {
    /// `POST PATH` of `doc` with `Accept: application/x-ndjson`, handing each line to
    /// `on_line` as it arrives; when `on_line` returns `false` the response is dropped (the
    /// connection closes mid-body). Returns the status.
    pub fn ndjson(&self, path: &str, doc: Value, mut on_line: impl FnMut(Value) -> bool) -> u16 {
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .basic_auth(&self.user, Some(&self.password))
            .header("accept", "application/x-ndjson")
            .header("content-type", "application/json")
            .body(doc.to_string())
            .timeout(Duration::from_secs(60));
        self.rt.block_on(async {
            let mut resp = req.send().await.expect("an HTTP response");
            let status = resp.status().as_u16();
            if status != 200 {
                return status;
            }
            let mut buf = Vec::new();
            while let Some(chunk) = resp.chunk().await.expect("body chunk") {
                buf.extend_from_slice(&chunk);
                while let Some(end) = buf.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=end).collect();
                    let value = serde_json::from_slice(&line)
                        .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}"));
                    if !on_line(value) {
                        return status;
                    }
                }
            }
            assert!(buf.is_empty(), "a partial last line: {buf:?}");
            status
        })
    }
}
