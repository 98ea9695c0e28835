//! A client that sends an upload's last byte and closes its connection at once still gets its
//! file, in every HTTP dialect: the commit runs in a task of its own, so the request being
//! dropped (hyper ends a request whose connection reached end of input) does not stop it. And
//! a tus `HEAD` never reports a complete-but-uncommitted upload as done: it commits it, or
//! answers why it cannot. A final concatenation whose client leaves at once is joined
//! whole all the same.

use std::time::{Duration, Instant};

use ferry_http::Limits;
use reqwest::StatusCode;

use crate::live::Live;
use crate::support::dialect::{
    content_range_create, content_range_put_head, ietf_create, ietf_patch_head, send_and_leave,
    tus_create, tus_patch, tus_patch_head,
};
use crate::support::{data, md5_hex};

/// Large enough that the commit (last block hashed, synced, renamed) is still running when
/// the server sees the connection close.
const SIZE: usize = 3 << 20;

/// Waits for `path` to appear in alice's home, and checks it is `file` (size and MD5).
async fn assert_lands(live: &Live, path: &str, file: &[u8]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let got = loop {
        match live.file(path) {
            Some(got) if got.len() == file.len() => break got,
            _ if Instant::now() > deadline => panic!("{path} was never committed"),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    assert_eq!(md5_hex(&got), md5_hex(file), "{path}: MD5");
}

#[tokio::test]
async fn tus_patch_whose_client_leaves_at_the_last_byte_is_committed() {
    let live = Live::start(Limits::default(), None).await;
    let file = data(SIZE, 21);
    let url = tus_create(&live, "tus.bin", SIZE).await;
    send_and_leave(&live, &tus_patch_head(&url, 0, SIZE), &file).await;
    assert_lands(&live, "tus.bin", &file).await;
}

#[tokio::test]
async fn content_range_chunk_whose_client_leaves_at_the_last_byte_is_committed() {
    let live = Live::start(Limits::default(), None).await;
    let file = data(SIZE, 22);
    let doc = serde_json::json!({"path": "/cr.bin", "size": SIZE, "md5": md5_hex(&file)});
    let url = content_range_create(&live, &doc).await;
    send_and_leave(&live, &content_range_put_head(&url, SIZE), &file).await;
    assert_lands(&live, "cr.bin", &file).await;
}

#[tokio::test]
async fn ietf_patch_whose_client_leaves_at_the_last_byte_is_committed() {
    let live = Live::start(Limits::default(), None).await;
    let file = data(SIZE, 23);
    let url = ietf_create(&live, "/ietf.bin", &[("upload-length", SIZE.to_string())]).await;
    send_and_leave(&live, &ietf_patch_head(&url, 0, true, SIZE), &file).await;
    assert_lands(&live, "ietf.bin", &file).await;
}

#[tokio::test]
async fn tus_final_concatenation_whose_client_leaves_at_once_is_joined_whole() {
    let live = Live::start(Limits::default(), None).await;
    let file = data(2 * SIZE, 25);
    let mut urls = Vec::new();
    for part in file.chunks(SIZE) {
        let r = live
            .req("POST", "/api/v1/tus/")
            .header("tus-resumable", "1.0.0")
            .header("upload-length", part.len().to_string())
            .header("upload-concat", "partial")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{r:?}");
        let url = r.headers()["location"].to_str().unwrap().to_string();
        let r = tus_patch(&live, &url, 0, part).await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{r:?}");
        urls.push(url);
    }
    use base64::Engine;
    let name = base64::engine::general_purpose::STANDARD.encode("joined.bin");
    let head = format!(
        "POST /api/v1/tus/ HTTP/1.1\r\ntus-resumable: 1.0.0\r\n\
         upload-concat: final;{}\r\nupload-metadata: filename {name}\r\ncontent-length: 0",
        urls.join(" ")
    );
    send_and_leave(&live, &head, b"").await;
    assert_lands(&live, "joined.bin", &file).await;
}

#[tokio::test]
async fn tus_head_on_a_complete_upload_whose_commit_was_refused_commits_it_or_says_why() {
    let live = Live::start(Limits::default(), None).await;
    let file = data(1000, 24);
    let url = tus_create(&live, "taken.bin", file.len()).await;
    let r = live
        .req("PUT", "/api/v1/files/taken.bin")
        .body(b"in the way".to_vec())
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "another file takes the name meanwhile: {r:?}"
    );
    let tus = |method: &str| live.req(method, &url).header("tus-resumable", "1.0.0");
    let r = tus_patch(&live, &url, 0, &file).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "the name is taken: {r:?}");
    let r = tus("HEAD").send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "a HEAD must not report a complete upload with no file as done: {r:?}"
    );
    let r = live
        .req("DELETE", "/api/v1/files/taken.bin")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{r:?}");
    let r = tus("HEAD").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{r:?}");
    assert_eq!(
        r.headers()["upload-offset"],
        file.len().to_string().as_str()
    );
    assert_eq!(live.file("taken.bin").as_deref(), Some(&file[..]));
}
