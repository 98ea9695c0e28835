//! Downloads: validators, one byte range, conditional requests.

use http::StatusCode;
use md5::Digest;

use crate::support::{Reply, TestApp, authed, b64, data, empty, md5_hex};

const LEN: usize = 1000;
const URI: &str = "/api/v1/files/dl/file.bin";

/// `GET` of the file with these request headers.
async fn get_with(app: &TestApp, headers: &[(&str, &str)]) -> Reply {
    let mut req = authed("GET", URI);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    app.send(empty(req)).await
}

async fn app_with_file() -> (TestApp, Vec<u8>) {
    let app = TestApp::new().await;
    let r = app
        .send(
            authed("POST", "/api/v1/dirs/dl")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let file = data(LEN, 9);
    app.put("dl/file.bin", &file).await;
    (app, file)
}

#[tokio::test]
async fn a_full_download_carries_validators_digests_and_safe_headers() {
    let (app, file) = app_with_file().await;
    let r = app.send(empty(authed("GET", URI))).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(&r.body[..], &file[..]);
    let etag = format!("\"{}\"", md5_hex(&file));
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let repr = format!("md5=:{}:", b64(&md5::Md5::digest(&file)));
    assert_eq!(r.header("repr-digest"), Some(repr.as_str()));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.header("content-length"), Some("1000"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    let disposition = r.header("content-disposition").unwrap_or_default();
    assert!(
        disposition.starts_with("attachment") && disposition.contains("file.bin"),
        "{disposition}"
    );

    let head = app.send(empty(authed("HEAD", URI))).await;
    assert_eq!(head.status, StatusCode::OK, "{head:?}");
    assert!(head.body.is_empty());
    assert_eq!(head.header("etag"), Some(etag.as_str()));
    assert_eq!(head.header("content-length"), Some("1000"));
}

#[tokio::test]
async fn single_ranges_give_206_with_exact_bytes_and_content_range() {
    let (app, file) = app_with_file().await;
    // Range header, first and last byte served.
    let cases: &[(&str, usize, usize)] = &[
        ("bytes=0-0", 0, 0),
        ("bytes=999-999", 999, 999),
        ("bytes=100-199", 100, 199),
        ("bytes=-10", 990, 999),
        ("bytes=990-", 990, 999),
        ("bytes=500-5000", 500, 999),
    ];
    for (range, first, last) in cases {
        let r = get_with(&app, &[("range", *range)]).await;
        assert_eq!(r.status, StatusCode::PARTIAL_CONTENT, "{range}: {r:?}");
        let expected = format!("bytes {first}-{last}/{LEN}");
        assert_eq!(
            r.header("content-range"),
            Some(expected.as_str()),
            "{range}"
        );
        assert_eq!(&r.body[..], &file[*first..=*last], "{range}");
        assert_eq!(
            r.header("content-length"),
            Some((last - first + 1).to_string().as_str()),
            "{range}"
        );
    }
}

#[tokio::test]
async fn an_unsatisfiable_range_is_416_with_the_size_in_content_range() {
    let (app, _) = app_with_file().await;
    for range in ["bytes=1000-", "bytes=1000-2000", "bytes=-0"] {
        let r = get_with(&app, &[("range", range)]).await;
        r.assert_problem(416, "range_not_satisfiable");
        assert_eq!(r.header("content-range"), Some("bytes */1000"), "{range}");
    }
}

#[tokio::test]
async fn if_range_and_if_none_match_follow_the_current_etag() {
    let (app, file) = app_with_file().await;
    let etag = format!("\"{}\"", md5_hex(&file));
    let stale = format!("\"{}\"", md5_hex(b"an older version"));

    let r = get_with(
        &app,
        &[("range", "bytes=10-19"), ("if-range", stale.as_str())],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "stale If-Range: {r:?}");
    assert_eq!(&r.body[..], &file[..]);
    assert!(r.header("content-range").is_none());

    let r = get_with(
        &app,
        &[("range", "bytes=10-19"), ("if-range", etag.as_str())],
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::PARTIAL_CONTENT,
        "current If-Range: {r:?}"
    );
    assert_eq!(&r.body[..], &file[10..20]);

    let r = get_with(&app, &[("if-none-match", etag.as_str())]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED, "{r:?}");
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(etag.as_str()));

    let r = get_with(&app, &[("if-none-match", stale.as_str())]).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(&r.body[..], &file[..]);
}

#[tokio::test]
async fn downloading_a_missing_file_or_a_folder_is_a_problem_not_a_body() {
    let (app, _) = app_with_file().await;
    let r = app
        .send(empty(authed("GET", "/api/v1/files/nope.bin")))
        .await;
    r.assert_problem(404, "not_found");
    let r = app.send(empty(authed("GET", "/api/v1/files/dl"))).await;
    r.assert_problem(409, "is_a_directory");
}

#[tokio::test]
async fn inline_views_show_media_and_text_with_their_type_but_markup_stays_an_attachment() {
    let app = TestApp::new().await;
    let script = b"<script>parent.document.title='owned'</script>";
    for name in [
        "p.png", "t.txt", "m.mp4", "d.pdf", "x.html", "s.svg", "b.bin",
    ] {
        app.put(&format!("v/{name}"), script).await;
    }
    let cases: &[(&str, &str, &str)] = &[
        ("p.png", "image/png", "inline"),
        ("t.txt", "text/plain; charset=utf-8", "inline"),
        ("m.mp4", "video/mp4", "inline"),
        ("d.pdf", "application/pdf", "inline"),
        ("x.html", "application/octet-stream", "attachment"),
        ("s.svg", "application/octet-stream", "attachment"),
        ("b.bin", "application/octet-stream", "attachment"),
    ];
    for (name, kind, disposition) in cases {
        for method in ["GET", "HEAD"] {
            let uri = format!("/api/v1/files/v/{name}?inline=true");
            let r = app.send(empty(authed(method, &uri))).await;
            assert_eq!(r.status, StatusCode::OK, "{method} {name}: {r:?}");
            assert_eq!(r.header("content-type"), Some(*kind), "{method} {name}");
            let d = r.header("content-disposition").unwrap_or_default();
            assert!(d.starts_with(disposition), "{method} {name}: {d}");
            assert_eq!(
                r.header("content-security-policy"),
                Some("sandbox"),
                "{name}"
            );
            assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        }
    }
    // Without `inline` every file is a sandboxed attachment, as before.
    let r = app
        .send(empty(authed("GET", "/api/v1/files/v/p.png")))
        .await;
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert!(
        r.header("content-disposition")
            .unwrap_or_default()
            .starts_with("attachment")
    );
    assert_eq!(r.header("content-security-policy"), Some("sandbox"));
    // A view keeps Range (video seeks).
    let r = get_range(&app, "/api/v1/files/v/m.mp4?inline=true", "bytes=0-3").await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT, "{r:?}");
    assert_eq!(&r.body[..], &script[..4]);
    assert_eq!(r.header("content-type"), Some("video/mp4"));
    // A malformed value is a problem with a code, not a silent download.
    let r = app
        .send(empty(authed("GET", "/api/v1/files/v/p.png?inline=maybe")))
        .await;
    r.assert_problem(400, "bad_request");
}

async fn get_range(app: &TestApp, uri: &str, range: &str) -> Reply {
    app.send(empty(authed("GET", uri).header("range", range)))
        .await
}
