//! tus 1.0.0 under `/api/v1/tus/`: bad input gets its specific status and code and changes
//! nothing, and a tus upload is the same session as a Content-Range one (continued in either
//! spelling, MD5 exact). Over 300 lines: every tus case shares the request helpers at the top.

use base64::Engine;
use http::StatusCode;
use sha1::Digest;

use crate::support::{Reply, TestApp, anon, authed, data, empty, md5_hex};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn meta(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} {}", B64.encode(v)))
        .collect::<Vec<_>>()
        .join(",")
}

fn tus(method: &str, uri: &str) -> http::request::Builder {
    authed(method, uri).header("tus-resumable", "1.0.0")
}

/// `POST /api/v1/tus/` of `size` bytes with `metadata`; the upload's URL.
async fn create(app: &TestApp, size: u64, metadata: &str) -> String {
    let r = app
        .send(empty(
            tus("POST", "/api/v1/tus/")
                .header("upload-length", size)
                .header("upload-metadata", metadata),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(r.header("tus-resumable"), Some("1.0.0"));
    r.header("location").expect("a Location").to_string()
}

async fn patch(
    app: &TestApp,
    url: &str,
    offset: u64,
    body: &[u8],
    extra: &[(&str, &str)],
) -> Reply {
    let mut req = tus("PATCH", url)
        .header("upload-offset", offset)
        .header("content-type", "application/offset+octet-stream");
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    app.send_body(req, body.to_vec()).await
}

/// A PATCH of `body` at `offset` without extra headers, which must be accepted (204).
async fn patch_ok(app: &TestApp, url: &str, offset: u64, body: &[u8]) {
    let r = patch(app, url, offset, body, &[]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
}

async fn offset(app: &TestApp, url: &str) -> u64 {
    let r = app.send(empty(tus("HEAD", url))).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    r.header("upload-offset").unwrap().parse().unwrap()
}

async fn file_md5(app: &TestApp, path: &str) -> String {
    let r = app
        .send(empty(authed("GET", &format!("/api/v1/files/{path}"))))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    md5_hex(&r.body)
}

#[tokio::test]
async fn a_wrong_or_missing_tus_resumable_is_412_naming_the_version_spoken() {
    let app = TestApp::new().await;
    for version in [Some("0.2.2"), None] {
        let mut req = authed("POST", "/api/v1/tus/").header("upload-length", 3);
        if let Some(v) = version {
            req = req.header("tus-resumable", v);
        }
        let r = app.send(empty(req)).await;
        r.assert_problem(412, "tus_version_unsupported");
        assert_eq!(r.header("tus-version"), Some("1.0.0"));
        assert_eq!(r.header("tus-resumable"), Some("1.0.0"));
    }
    assert_eq!(app.quota().await["reserved"], 0, "nothing was created");
}

#[tokio::test]
async fn options_tells_what_the_server_speaks_without_credentials() {
    let app = TestApp::new().await;
    let r = app.send(empty(anon("OPTIONS", "/api/v1/tus/"))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    assert_eq!(r.header("tus-version"), Some("1.0.0"));
    let ext = r.header("tus-extension").unwrap();
    for e in [
        "creation",
        "creation-with-upload",
        "expiration",
        "checksum",
        "termination",
        "concatenation",
    ] {
        assert!(ext.split(',').any(|x| x == e), "{e} in {ext}");
    }
    assert_eq!(
        r.header("tus-checksum-algorithm"),
        Some("sha1,sha256,md5,crc32")
    );
    assert!(r.header("tus-max-size").unwrap().parse::<u64>().unwrap() > 0);
}

#[tokio::test]
async fn a_patch_at_the_wrong_offset_is_409_with_the_server_offset() {
    let app = TestApp::new().await;
    let url = create(&app, 10, &meta(&[("filename", "a")])).await;
    patch_ok(&app, &url, 0, b"abcd").await;
    let r = patch(&app, &url, 2, b"cdef", &[]).await;
    r.assert_problem(409, "offset_mismatch");
    assert_eq!(r.header("upload-offset"), Some("4"));
    assert_eq!(offset(&app, &url).await, 4);
}

#[tokio::test]
async fn a_checksum_mismatch_is_460_and_drops_the_chunk() {
    let app = TestApp::new().await;
    let body = data(1000, 1);
    let url = create(&app, 2000, &meta(&[("filename", "c.bin")])).await;
    let wrong = format!("sha1 {}", B64.encode(sha1::Sha1::digest(b"something else")));
    let r = patch(&app, &url, 0, &body, &[("upload-checksum", &wrong)]).await;
    assert_eq!(r.status.as_u16(), 460, "{r:?}");
    assert_eq!(r.code(), "chunk_checksum_mismatch");
    assert_eq!(r.json()["status"], 460);
    assert_eq!(r.header("tus-resumable"), Some("1.0.0"));
    assert_eq!(offset(&app, &url).await, 0, "the chunk was dropped");
    let right = format!("sha1 {}", B64.encode(sha1::Sha1::digest(&body)));
    let r = patch(&app, &url, 0, &body, &[("upload-checksum", &right)]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    assert_eq!(r.header("upload-offset"), Some("1000"));
    let crc = format!("crc32 {}", B64.encode(crc32fast::hash(&body).to_be_bytes()));
    let r = patch(&app, &url, 1000, &body, &[("upload-checksum", &crc)]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    let mut whole = body.clone();
    whole.extend_from_slice(&body);
    assert_eq!(file_md5(&app, "c.bin").await, md5_hex(&whole));
}

#[tokio::test]
async fn an_unknown_checksum_algorithm_is_400_and_nothing_is_written() {
    let app = TestApp::new().await;
    let url = create(&app, 3, &meta(&[("filename", "u")])).await;
    let r = patch(
        &app,
        &url,
        0,
        b"abc",
        &[("upload-checksum", "whirlpool AAAA")],
    )
    .await;
    r.assert_problem(400, "checksum_algorithm_unsupported");
    assert_eq!(offset(&app, &url).await, 0);
}

#[tokio::test]
async fn an_upload_length_that_changes_is_400() {
    let app = TestApp::new().await;
    let url = create(&app, 10, &meta(&[("filename", "l")])).await;
    let r = patch(&app, &url, 0, b"abc", &[("upload-length", "11")]).await;
    r.assert_problem(400, "size_mismatch");
    assert_eq!(offset(&app, &url).await, 0);
}

#[tokio::test]
async fn a_patch_without_the_tus_content_type_is_415() {
    let app = TestApp::new().await;
    let url = create(&app, 3, &meta(&[("filename", "t")])).await;
    let req = tus("PATCH", &url).header("upload-offset", 0);
    let r = app.send_body(req, b"abc".to_vec()).await;
    r.assert_problem(415, "unsupported_media_type");
}

#[tokio::test]
async fn metadata_naming_a_path_outside_the_home_is_refused_and_reserves_nothing() {
    let app = TestApp::new().await;
    for (m, status, code) in [
        (
            meta(&[("filename", "x"), ("folder", "/../..")]),
            403,
            "path_outside_home",
        ),
        (
            meta(&[("path", "/a/../../etc/passwd")]),
            403,
            "path_outside_home",
        ),
        (meta(&[("filename", "../x")]), 400, "bad_metadata"),
        (meta(&[("folder", "/")]), 400, "bad_metadata"),
        ("filename !!notbase64".to_string(), 400, "bad_metadata"),
    ] {
        let req = tus("POST", "/api/v1/tus/")
            .header("upload-length", 3)
            .header("upload-metadata", &m);
        app.send(empty(req)).await.assert_problem(status, code);
    }
    assert_eq!(app.quota().await["reserved"], 0);
}

#[tokio::test]
async fn an_existing_file_is_kept_unless_overwrite_is_asked() {
    let app = TestApp::new().await;
    app.put("taken", b"old").await;
    let req = tus("POST", "/api/v1/tus/")
        .header("upload-length", 3)
        .header("upload-metadata", meta(&[("filename", "taken")]));
    app.send(empty(req))
        .await
        .assert_problem(409, "already_exists");
    let url = create(
        &app,
        3,
        &format!("{},overwrite", meta(&[("filename", "taken")])),
    )
    .await;
    patch_ok(&app, &url, 0, b"new").await;
    assert_eq!(file_md5(&app, "taken").await, md5_hex(b"new"));
}

#[tokio::test]
async fn a_wrong_md5_in_the_metadata_commits_nothing() {
    let app = TestApp::new().await;
    let m = meta(&[("filename", "m"), ("md5", &md5_hex(b"other"))]);
    let url = create(&app, 3, &m).await;
    patch(&app, &url, 0, b"abc", &[])
        .await
        .assert_problem(422, "checksum_mismatch");
    let r = app.send(empty(authed("GET", "/api/v1/files/m"))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let m = meta(&[("filename", "m"), ("md5", &md5_hex(b"abc"))]);
    let url = create(&app, 3, &m).await;
    patch_ok(&app, &url, 0, b"abc").await;
    assert_eq!(file_md5(&app, "m").await, md5_hex(b"abc"));
}

#[tokio::test]
async fn creation_with_upload_and_method_override_and_termination() {
    let app = TestApp::new().await;
    let req = tus("POST", "/api/v1/tus/")
        .header("upload-length", 6)
        .header("upload-metadata", meta(&[("filename", "w")]))
        .header("content-type", "application/offset+octet-stream");
    let r = app.send_body(req, b"abc".to_vec()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(r.header("upload-offset"), Some("3"));
    assert!(r.header("upload-expires").is_some());
    let url = r.header("location").unwrap().to_string();
    let req = tus("POST", &url)
        .header("x-http-method-override", "PATCH")
        .header("upload-offset", 3)
        .header("content-type", "application/offset+octet-stream");
    let r = app.send_body(req, b"def".to_vec()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    assert_eq!(file_md5(&app, "w").await, md5_hex(b"abcdef"));

    let url = create(&app, 100, &meta(&[("filename", "gone")])).await;
    assert_eq!(app.quota().await["reserved"], 100);
    let r = app.send(empty(tus("DELETE", &url))).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    // A HEAD answer has no body to carry the problem: the status says it.
    let r = app.send(empty(tus("HEAD", &url))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{r:?}");
    assert_eq!(app.quota().await["reserved"], 0);
}

async fn part(app: &TestApp, bytes: &[u8]) -> String {
    let req = tus("POST", "/api/v1/tus/")
        .header("upload-length", bytes.len())
        .header("upload-concat", "partial");
    let r = app.send(empty(req)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let url = r.header("location").unwrap().to_string();
    patch_ok(app, &url, 0, bytes).await;
    let head = app.send(empty(tus("HEAD", &url))).await;
    assert_eq!(head.header("upload-concat"), Some("partial"));
    url
}

#[tokio::test]
async fn partial_uploads_join_into_one_file_and_a_patch_to_the_final_is_403() {
    let app = TestApp::new().await;
    let (a, b) = (data(3000, 2), data(1234, 3));
    let (ua, ub) = (part(&app, &a).await, part(&app, &b).await);
    let req = tus("POST", "/api/v1/tus/")
        .header(
            "upload-concat",
            format!("final;{ua} http://elsewhere.example{ub}"),
        )
        .header("upload-metadata", meta(&[("filename", "joined.bin")]));
    let r = app.send(empty(req)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let url = r.header("location").unwrap().to_string();
    assert_eq!(url, "/api/v1/tus/final/joined.bin");
    let mut whole = a.clone();
    whole.extend_from_slice(&b);
    assert_eq!(file_md5(&app, "joined.bin").await, md5_hex(&whole));
    assert_eq!(offset(&app, &url).await, whole.len() as u64);
    patch(&app, &url, whole.len() as u64, b"x", &[])
        .await
        .assert_problem(403, "upload_is_final");
    let quota = app.quota().await;
    assert_eq!(
        (quota["reserved"].as_u64(), quota["used"].as_u64()),
        (Some(0), Some(whole.len() as u64))
    );

    // An incomplete part, or an ordinary upload, cannot be joined.
    let ordinary = create(&app, 3, &meta(&[("filename", "o")])).await;
    let req = tus("POST", "/api/v1/tus/")
        .header("upload-concat", format!("final;{ordinary}"))
        .header("upload-metadata", meta(&[("filename", "bad.bin")]));
    app.send(empty(req))
        .await
        .assert_problem(400, "concat_part_invalid");
}

#[tokio::test]
async fn a_final_naming_a_part_twice_is_refused_and_the_part_is_kept() {
    let app = TestApp::new().await;
    let a = data(2000, 4);
    let ua = part(&app, &a).await;
    let req = tus("POST", "/api/v1/tus/")
        .header("upload-concat", format!("final;{ua} {ua}"))
        .header("upload-metadata", meta(&[("filename", "twice.bin")]));
    app.send(empty(req))
        .await
        .assert_problem(400, "concat_part_invalid");
    // Nothing was consumed: the part still joins, even after its folder was removed.
    let r = app
        .send(empty(authed(
            "DELETE",
            "/api/v1/files/.tus-parts?recursive=true",
        )))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    let req = tus("POST", "/api/v1/tus/")
        .header("upload-concat", format!("final;{ua}"))
        .header("upload-metadata", meta(&[("filename", "once.bin")]));
    let r = app.send(empty(req)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(file_md5(&app, "once.bin").await, md5_hex(&a));
}

#[tokio::test]
async fn a_tus_upload_is_finished_with_content_range_md5_exact() {
    let app = TestApp::new().await;
    let body = data(5000, 4);
    let url = create(&app, 5000, &meta(&[("filename", "cross1.bin")])).await;
    patch_ok(&app, &url, 0, &body[..2000]).await;
    let id = url.rsplit('/').next().unwrap();
    assert_eq!(
        app.offset(id).await,
        2000,
        "the Content-Range dialect sees the same offset"
    );
    let r = app
        .upload_chunk(id, "bytes 2000-4999/5000", &body[2000..], &[])
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(file_md5(&app, "cross1.bin").await, md5_hex(&body));
}

#[tokio::test]
async fn a_content_range_upload_is_finished_with_tus_md5_exact() {
    let app = TestApp::new().await;
    let body = data(5000, 5);
    let id = app
        .create_upload("/cross2.bin", 5000, Some(&md5_hex(&body)))
        .await;
    let r = app
        .upload_chunk(&id, "bytes 0-2999/5000", &body[..3000], &[])
        .await;
    assert_eq!(r.status.as_u16(), 308, "{r:?}");
    let url = format!("/api/v1/tus/{id}");
    assert_eq!(offset(&app, &url).await, 3000);
    let r = patch(&app, &url, 3000, &body[3000..], &[]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    assert_eq!(r.header("upload-offset"), Some("5000"));
    assert_eq!(file_md5(&app, "cross2.bin").await, md5_hex(&body));
}
