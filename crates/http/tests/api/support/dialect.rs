//! The three upload dialects over a [`Live`] server, for the tests that need real sockets:
//! creating an upload in each, appending with reqwest, and the heads of append requests that a
//! raw client writes by hand to send a body slowly, stall, or leave at the last byte.

use std::time::Duration;

use base64::Engine;
use reqwest::{Response, StatusCode};
use serde_json::Value;
use tokio::net::TcpStream;

use crate::live::Live;

/// Header `name` of `r` as text, if present.
pub fn header<'a>(r: &'a Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `Location` of a creation answer.
fn location(r: &Response) -> String {
    header(r, "location").unwrap().to_string()
}

/// `Upload-Offset` of an answer.
pub fn offset_of(r: &Response) -> usize {
    header(r, "upload-offset").unwrap().parse().unwrap()
}

/// `GET path` as JSON.
pub async fn get_json(live: &Live, path: &str) -> Value {
    let r = live.req("GET", path).send().await.unwrap();
    r.json().await.unwrap()
}

/// IETF draft: `POST /api/v1/resumable/?path=PATH` with `Upload-Complete: ?0` and `extra`
/// headers; the upload's path (`/api/v1/resumable/ID`).
pub async fn ietf_create(live: &Live, path: &str, extra: &[(&str, String)]) -> String {
    let mut req = live
        .req("POST", &format!("/api/v1/resumable/?path={path}"))
        .header("upload-complete", "?0");
    for (k, v) in extra {
        req = req.header(*k, v);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{r:?}");
    assert_eq!(header(&r, "upload-complete"), Some("?0"));
    location(&r)
}

/// IETF draft: `PATCH` of `body` at `offset`, `Upload-Complete: ?1` when `complete`.
pub async fn ietf_patch(
    live: &Live,
    url: &str,
    offset: usize,
    complete: bool,
    body: &[u8],
) -> Response {
    live.req("PATCH", url)
        .header("content-type", "application/partial-upload")
        .header("upload-offset", offset.to_string())
        .header("upload-complete", if complete { "?1" } else { "?0" })
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

/// IETF draft: the head of a raw `PATCH` of `len` bytes at `offset`.
pub fn ietf_patch_head(url: &str, offset: usize, complete: bool, len: usize) -> String {
    let complete = if complete { "?1" } else { "?0" };
    format!(
        "PATCH {url} HTTP/1.1\r\ncontent-type: application/partial-upload\r\n\
         upload-offset: {offset}\r\nupload-complete: {complete}\r\ncontent-length: {len}"
    )
}

/// tus: `POST /api/v1/tus/` of a `size`-byte file named `name`; the upload's path.
pub async fn tus_create(live: &Live, name: &str, size: usize) -> String {
    let name = base64::engine::general_purpose::STANDARD.encode(name);
    let r = live
        .req("POST", "/api/v1/tus/")
        .header("tus-resumable", "1.0.0")
        .header("upload-length", size.to_string())
        .header("upload-metadata", format!("filename {name}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{r:?}");
    location(&r)
}

/// tus: `PATCH` of `body` at `offset`.
pub async fn tus_patch(live: &Live, url: &str, offset: usize, body: &[u8]) -> Response {
    live.req("PATCH", url)
        .header("tus-resumable", "1.0.0")
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", offset.to_string())
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

/// tus: the head of a raw `PATCH` of `len` bytes at `offset`.
pub fn tus_patch_head(url: &str, offset: usize, len: usize) -> String {
    format!(
        "PATCH {url} HTTP/1.1\r\ntus-resumable: 1.0.0\r\n\
         content-type: application/offset+octet-stream\r\nupload-offset: {offset}\r\n\
         content-length: {len}"
    )
}

/// Content-Range: `POST /api/v1/uploads` of the JSON document `doc`; the upload's path.
pub async fn content_range_create(live: &Live, doc: &Value) -> String {
    let r = live
        .req("POST", "/api/v1/uploads")
        .json(doc)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{r:?}");
    location(&r)
}

/// Content-Range: `PUT` of `body` at `first` of a `total`-byte file.
pub async fn content_range_put(
    live: &Live,
    url: &str,
    first: usize,
    total: usize,
    body: &[u8],
) -> Response {
    let last = first + body.len() - 1;
    live.req("PUT", url)
        .header("content-range", format!("bytes {first}-{last}/{total}"))
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

/// Content-Range: the head of a raw `PUT` of the whole `size`-byte file.
pub fn content_range_put_head(url: &str, size: usize) -> String {
    format!(
        "PUT {url} HTTP/1.1\r\ncontent-range: bytes 0-{}/{size}\r\ncontent-length: {size}",
        size - 1
    )
}

/// A slow client: sends `head` and the first bytes of its body (`sent`), then stalls for
/// `pause`; returns the connection, still open.
pub async fn send_and_stall(live: &Live, head: &str, sent: &[u8], pause: Duration) -> TcpStream {
    let s = live.raw(head, sent).await;
    tokio::time::sleep(pause).await;
    s
}

/// A client that leaves at the last byte: sends `head` and `body` on a new connection and
/// closes it without reading the answer.
pub async fn send_and_leave(live: &Live, head: &str, body: &[u8]) {
    drop(live.raw(head, body).await);
}
