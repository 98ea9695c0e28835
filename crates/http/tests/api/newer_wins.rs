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
use crate::support::dialect::{
    content_range_create, content_range_put, content_range_put_head, get_json, ietf_create,
    ietf_patch, ietf_patch_head, offset_of, send_and_stall, tus_create, tus_patch, tus_patch_head,
};

const SIZE: usize = 200_000;
/// What the slow request delivers before the newer one arrives.
const SENT: usize = 70_000;

/// Starts a request whose head is `head` and sends the first [`SENT`] bytes of its body, then
/// stalls; returns the connection.
async fn stalled(live: &Live, head: String, file: &[u8]) -> tokio::net::TcpStream {
    send_and_stall(live, &head, &file[..SENT], Duration::from_millis(400)).await
}

/// The stalled request was ended: its connection answers `upload_superseded` (or closes).
async fn was_ended(mut s: tokio::net::TcpStream) {
    let answer = read_some(&mut s, Duration::from_secs(5)).await;
    assert!(
        answer.is_empty() || answer.contains("upload_superseded"),
        "{answer}"
    );
}

#[tokio::test]
async fn ietf_a_head_ends_a_stalled_patch_and_gets_the_bytes_it_sent() {
    let live = Live::start(Limits::default(), None).await;
    let file = data(SIZE, 11);
    let url = ietf_create(&live, "/a.bin", &[("upload-length", SIZE.to_string())]).await;
    let old = stalled(&live, ietf_patch_head(&url, 0, true, SIZE), &file).await;
    let r = live.req("HEAD", &url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        offset_of(&r),
        SENT,
        "the offset covers what the old request sent"
    );
    was_ended(old).await;
    let r = ietf_patch(&live, &url, SENT, true, &file[SENT..]).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{r:?}");
    assert_eq!(live.file("a.bin").unwrap(), file);
}

#[tokio::test]
async fn tus_a_head_ends_a_stalled_patch_and_gets_the_bytes_it_sent() {
    let live = Live::start(Limits::default(), None).await;
    let file = data(SIZE, 12);
    let url = tus_create(&live, "b.bin", SIZE).await;
    let old = stalled(&live, tus_patch_head(&url, 0, SIZE), &file).await;
    let r = live
        .req("HEAD", &url)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(offset_of(&r), SENT);
    was_ended(old).await;
    let r = tus_patch(&live, &url, SENT, &file[SENT..]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{r:?}");
    assert_eq!(live.file("b.bin").unwrap(), file);
}

#[tokio::test]
async fn content_range_a_head_ends_a_stalled_put_and_gets_the_bytes_it_sent() {
    let live = Live::start(Limits::default(), None).await;
    let file = data(SIZE, 13);
    let url = content_range_create(&live, &json!({"path": "/c.bin", "size": SIZE})).await;
    let old = stalled(&live, content_range_put_head(&url, SIZE), &file).await;
    let r = live.req("HEAD", &url).send().await.unwrap();
    assert_eq!(offset_of(&r), SENT);
    was_ended(old).await;
    let r = content_range_put(&live, &url, SENT, SIZE, &file[SENT..]).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{r:?}");
    assert_eq!(live.file("c.bin").unwrap(), file);
}

#[tokio::test]
async fn a_delete_ends_a_stalled_patch_and_cancels_the_upload() {
    let live = Live::start(Limits::default(), None).await;
    let file = data(SIZE, 14);
    let url = ietf_create(&live, "/d.bin", &[]).await;
    let old = stalled(&live, ietf_patch_head(&url, 0, false, SIZE), &file).await;
    let r = live.req("DELETE", &url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    was_ended(old).await;
    let quota = get_json(&live, "/api/v1/quota").await;
    assert_eq!(quota["reserved"], 0);
}
