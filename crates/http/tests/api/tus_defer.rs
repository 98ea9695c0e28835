//! tus `creation-defer-length`: an upload created with `Upload-Defer-Length: 1` reserves up to
//! the quota left, `HEAD` says the length is open, and the `PATCH` that states
//! `Upload-Length` shrinks the reservation and lets the last byte commit.

use base64::Engine;
use http::StatusCode;

use crate::live::Live;
use crate::support::data;

#[tokio::test]
async fn a_deferred_length_is_stated_by_a_later_patch_and_the_reservation_shrinks() {
    let live = Live::start(ferry_http::Limits::default(), Some(400_000)).await;
    let tus = |method: &str, url: &str| live.req(method, url).header("tus-resumable", "1.0.0");
    let r = live
        .http
        .request(reqwest::Method::OPTIONS, live.url("/api/v1/tus/"))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["tus-extension"]
            .to_str()
            .unwrap()
            .contains("creation-defer-length")
    );
    let name = base64::engine::general_purpose::STANDARD.encode("d.bin");
    let r = tus("POST", "/api/v1/tus/")
        .header("upload-defer-length", "1")
        .header("upload-metadata", format!("filename {name}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{r:?}");
    let url = r.headers()["location"].to_str().unwrap().to_string();
    let quota = async || -> serde_json::Value {
        live.req("GET", "/api/v1/quota")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    assert_eq!(quota().await["reserved"], 400_000);
    let r = tus("HEAD", &url).send().await.unwrap();
    assert_eq!(r.headers()["upload-defer-length"], "1");
    assert!(r.headers().get("upload-length").is_none());

    let file = data(150_000, 21);
    let patch = |offset: usize, body: &[u8]| {
        tus("PATCH", &url)
            .header("content-type", "application/offset+octet-stream")
            .header("upload-offset", offset.to_string())
            .body(body.to_vec())
    };
    // More than the quota has room for, with no length stated: the quota is what is passed,
    // not a size the client never declared.
    let r = patch(0, &data(400_001, 22)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "{r:?}");
    let problem: serde_json::Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "quota_exceeded", "{problem}");
    let r = patch(0, &file[..100_000]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{r:?}");
    let r = patch(100_000, &file[100_000..])
        .header("upload-length", "150000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{r:?}");
    assert_eq!(live.file("d.bin").unwrap(), file);
    let q = quota().await;
    assert_eq!(
        (q["reserved"].as_u64(), q["used"].as_u64()),
        (Some(0), Some(150_000))
    );
}

#[tokio::test]
async fn both_or_neither_length_header_is_400() {
    let live = Live::start(ferry_http::Limits::default(), None).await;
    for (defer, length) in [(Some("1"), Some("5")), (None, None), (Some("2"), None)] {
        let mut req = live
            .req("POST", "/api/v1/tus/")
            .header("tus-resumable", "1.0.0")
            .header("upload-metadata", "filename eA==");
        if let Some(d) = defer {
            req = req.header("upload-defer-length", d);
        }
        if let Some(l) = length {
            req = req.header("upload-length", l);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{defer:?} {length:?}");
    }
}
