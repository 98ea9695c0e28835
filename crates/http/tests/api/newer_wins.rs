//! Newer request wins, in every HTTP dialect: while a request is still sending an upload's
//! body, a request for the same upload from another connection ends it instead of being
//! refused as busy; the bytes it delivered are kept, the offset the newer one reports covers
//! them, and the upload finishes from there byte-exact.

use std::time::Duration;

use ferry_http::Limits;
use reqwest::StatusCode;
use serde_json::json;

use crate::live::{Live, read_some};
use crate::support::data;

const SIZE: usize = 200_000;
/// What the slow request delivers before the newer one arrives.
const SENT: usize = 70_000;

/// Starts a request whose head is `head` and sends the first [`SENT`] bytes of its body, then
/// stalls; returns the connection.
async fn stalled(live: &Live, head: String, file: &[u8]) -> tokio::net::TcpStream {
    let s = live.raw(&head, &file[..SENT]).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    s
}

/// The stalled request was ended: its connection answers `upload_superseded` (or closes).
async fn was_ended(mut s: tokio::net::TcpStream) {
    let answer = read_some(&mut s, Duration::from_secs(5)).await;
    assert!(
        answer.is_empty() || answer.contains("upload_superseded"),
        "{answer}"
    );
}

fn offset_of(r: &reqwest::Response) -> usize {
    r.headers()["upload-offset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn ietf_a_head_ends_a_stalled_patch_and_gets_the_bytes_it_sent() {
    let live = Live::start(Limits::default(), None).await;
    let file = data(SIZE, 11);
    let r = live
        .req("POST", "/api/v1/resumable/?path=/a.bin")
        .header("upload-complete", "?0")
        .header("upload-length", SIZE.to_string())
        .send()
        .await
        .unwrap();
    let url = r.headers()["location"].to_str().unwrap().to_string();
    let head = format!(
        "PATCH {url} HTTP/1.1\r\ncontent-type: application/partial-upload\r\n\
         upload-offset: 0\r\nupload-complete: ?1\r\ncontent-length: {SIZE}"
    );
    let old = stalled(&live, head, &file).await;
    let r = live.req("HEAD", &url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        offset_of(&r),
        SENT,
        "the offset covers what the old request sent"
    );
    was_ended(old).await;
    let r = live
        .req("PATCH", &url)
        .header("content-type", "application/partial-upload")
        .header("upload-offset", SENT.to_string())
        .header("upload-complete", "?1")
        .body(file[SENT..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{r:?}");
    assert_eq!(live.file("a.bin").unwrap(), file);
}

#[tokio::test]
async fn tus_a_head_ends_a_stalled_patch_and_gets_the_bytes_it_sent() {
    let live = Live::start(Limits::default(), None).await;
    let file = data(SIZE, 12);
    let r = live
        .req("POST", "/api/v1/tus/")
        .header("tus-resumable", "1.0.0")
        .header("upload-length", SIZE.to_string())
        .header("upload-metadata", "filename Yi5iaW4=")
        .send()
        .await
        .unwrap();
    let url = r.headers()["location"].to_str().unwrap().to_string();
    let head = format!(
        "PATCH {url} HTTP/1.1\r\ntus-resumable: 1.0.0\r\n\
         content-type: application/offset+octet-stream\r\nupload-offset: 0\r\ncontent-length: {SIZE}"
    );
    let old = stalled(&live, head, &file).await;
    let r = live
        .req("HEAD", &url)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(offset_of(&r), SENT);
    was_ended(old).await;
    let r = live
        .req("PATCH", &url)
        .header("tus-resumable", "1.0.0")
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", SENT.to_string())
        .body(file[SENT..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{r:?}");
    assert_eq!(live.file("b.bin").unwrap(), file);
}

#[tokio::test]
async fn content_range_a_head_ends_a_stalled_put_and_gets_the_bytes_it_sent() {
    let live = Live::start(Limits::default(), None).await;
    let file = data(SIZE, 13);
    let r = live
        .req("POST", "/api/v1/uploads")
        .json(&json!({"path": "/c.bin", "size": SIZE}))
        .send()
        .await
        .unwrap();
    let url = r.headers()["location"].to_str().unwrap().to_string();
    let last = SIZE - 1;
    let head = format!(
        "PUT {url} HTTP/1.1\r\ncontent-range: bytes 0-{last}/{SIZE}\r\ncontent-length: {SIZE}"
    );
    let old = stalled(&live, head, &file).await;
    let r = live.req("HEAD", &url).send().await.unwrap();
    assert_eq!(offset_of(&r), SENT);
    was_ended(old).await;
    let r = live
        .req("PUT", &url)
        .header("content-range", format!("bytes {SENT}-{last}/{SIZE}"))
        .body(file[SENT..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{r:?}");
    assert_eq!(live.file("c.bin").unwrap(), file);
}

#[tokio::test]
async fn a_delete_ends_a_stalled_patch_and_cancels_the_upload() {
    let live = Live::start(Limits::default(), None).await;
    let file = data(SIZE, 14);
    let r = live
        .req("POST", "/api/v1/resumable/?path=/d.bin")
        .header("upload-complete", "?0")
        .send()
        .await
        .unwrap();
    let url = r.headers()["location"].to_str().unwrap().to_string();
    let head = format!(
        "PATCH {url} HTTP/1.1\r\ncontent-type: application/partial-upload\r\n\
         upload-offset: 0\r\nupload-complete: ?0\r\ncontent-length: {SIZE}"
    );
    let old = stalled(&live, head, &file).await;
    let r = live.req("DELETE", &url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    was_ended(old).await;
    let quota: serde_json::Value = live
        .req("GET", "/api/v1/quota")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(quota["reserved"], 0);
}
