//! The app over a core in a temp folder, requests built with Basic auth, replies read whole;
//! [`dialect`]: the upload dialects' requests over a real socket.

pub mod dialect;

use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use base64::Engine;
use bytes::Bytes;
use ferry_core::Config;
use ferry_http::Limits;
use http::{HeaderMap, Request, StatusCode, request};
use http_body_util::BodyExt;
use md5::Digest;
use serde_json::Value;
use tower::ServiceExt;

pub const USER: &str = "alice";
pub const PASSWORD: &str = "alice's long password";

/// The gateway over a fresh core with one user, `alice`.
pub struct TestApp {
    pub dir: tempfile::TempDir,
    pub app: Router,
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with_limits(Limits::default()).await
    }

    pub async fn with_limits(limits: Limits) -> TestApp {
        TestApp::with(limits, |_| {}).await
    }

    /// With the core's configuration changed by `tune` (small budgets for tests).
    pub async fn with(limits: Limits, tune: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(dir.path().join("data"));
        tune(&mut config);
        let ferry = ferry_store_local::open(config).await.unwrap();
        ferry
            .add_user(USER.parse().unwrap(), PASSWORD.into(), None)
            .await
            .unwrap();
        let app = ferry_http::app(ferry.clone(), limits);
        TestApp { dir, app }
    }

    /// Alice's home on disk.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("data").join("homes").join(USER)
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Sends `req` with the JSON document `doc` as its body.
    pub async fn send_json(&self, req: request::Builder, doc: &Value) -> Reply {
        self.send(json(req, doc)).await
    }

    /// Sends `req` with `body` (and its `Content-Length`).
    pub async fn send_body(&self, req: request::Builder, body: Vec<u8>) -> Reply {
        self.send(with_body(req, body)).await
    }

    /// `PUT /api/v1/files/PATH` of `data`; asserts it was stored.
    pub async fn put(&self, path: &str, data: &[u8]) {
        let uri = format!("/api/v1/files/{path}");
        let r = self.send_body(authed("PUT", &uri), data.to_vec()).await;
        assert!(
            r.status == StatusCode::CREATED || r.status == StatusCode::OK,
            "put {path}: {r:?}"
        );
    }

    /// `POST /api/v1/uploads`; returns the upload id.
    pub async fn create_upload(&self, path: &str, size: u64, md5: Option<&str>) -> String {
        let mut doc = serde_json::json!({"path": path, "size": size});
        if let Some(md5) = md5 {
            doc["md5"] = md5.into();
        }
        let r = self
            .send(json(authed("POST", "/api/v1/uploads"), &doc))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "create upload: {r:?}");
        r.json()["id"].as_str().expect("an upload id").to_string()
    }

    /// `PUT /api/v1/uploads/{id}` of `body` (with its `Content-Length`) at `range`, with any
    /// extra `headers`.
    pub async fn upload_chunk(
        &self,
        id: &str,
        range: &str,
        body: &[u8],
        headers: &[(&str, String)],
    ) -> Reply {
        let mut req =
            authed("PUT", &format!("/api/v1/uploads/{id}")).header("content-range", range);
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        self.send_body(req, body.to_vec()).await
    }

    /// The upload's offset as `GET /api/v1/uploads/ID` reports it.
    pub async fn offset(&self, id: &str) -> u64 {
        let r = self
            .send(empty(authed("GET", &format!("/api/v1/uploads/{id}"))))
            .await;
        assert_eq!(r.status, StatusCode::OK, "upload status: {r:?}");
        let offset = r.json()["offset"].as_u64().expect("an offset");
        assert_eq!(r.header("upload-offset"), Some(offset.to_string().as_str()));
        offset
    }

    /// `GET /api/v1/quota` as JSON.
    pub async fn quota(&self) -> Value {
        let r = self.send(empty(authed("GET", "/api/v1/quota"))).await;
        assert_eq!(r.status, StatusCode::OK, "quota: {r:?}");
        r.json()
    }

    /// Nothing was committed at `path` in alice's home and no bytes stay reserved (`what`
    /// names the case).
    pub async fn assert_nothing_committed(&self, path: &str, what: &str) {
        assert!(!self.home().join(path).exists(), "{what}: {path} exists");
        assert_eq!(self.quota().await["reserved"], 0, "{what}: bytes reserved");
    }
}

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = &self.body[..self.body.len().min(600)];
        write!(
            f,
            "{} {:?} {}",
            self.status,
            self.headers,
            String::from_utf8_lossy(shown)
        )
    }
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    /// The problem's `code`, `<none>` when the body is not a problem.
    pub fn code(&self) -> String {
        serde_json::from_slice::<Value>(&self.body)
            .ok()
            .and_then(|v| v["code"].as_str().map(str::to_string))
            .unwrap_or_else(|| "<none>".into())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an RFC 9457 problem with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status.as_u16(), self.code().as_str()),
            (status, code),
            "{self:?}"
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{self:?}"
        );
        assert_eq!(self.json()["status"], status, "{self:?}");
    }
}

pub fn basic(user: &str, password: &str) -> String {
    let raw = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// A request without credentials.
pub fn anon(method: &str, uri: &str) -> request::Builder {
    Request::builder().method(method).uri(uri)
}

/// A request with alice's Basic credentials.
pub fn authed(method: &str, uri: &str) -> request::Builder {
    anon(method, uri).header("authorization", basic(USER, PASSWORD))
}

pub fn empty(b: request::Builder) -> Request<Body> {
    b.body(Body::empty()).unwrap()
}

/// The body with a matching `Content-Length`.
pub fn with_body(b: request::Builder, data: Vec<u8>) -> Request<Body> {
    b.header("content-length", data.len())
        .body(Body::from(data))
        .unwrap()
}

pub fn json(b: request::Builder, doc: &Value) -> Request<Body> {
    with_body(
        b.header("content-type", "application/json"),
        serde_json::to_vec(doc).unwrap(),
    )
}

/// `len` pseudo-random bytes (seeded, so failures reproduce).
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(md5::Md5::digest(data))
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
