//! Every input has one specific answer: unknown JSON fields, over-long or look-alike names,
//! oversized JSON bodies, cross-origin writes.

use std::os::unix::fs::MetadataExt;

use serde_json::json;

use crate::logs::capture_logs;
use crate::support::*;

#[tokio::test]
async fn an_unknown_field_in_any_json_body_is_bad_request() {
    let app = TestApp::new().await;
    app.put("a.txt", b"x").await;
    for (uri, doc) in [
        (
            "/api/v1/login",
            json!({"username": USER, "password": PASSWORD, "typo": 1}),
        ),
        (
            "/api/v1/uploads",
            json!({"path": "/b", "size": 1, "typo": 1}),
        ),
        (
            "/api/v1/move",
            json!({"from": "/a.txt", "to": "/c.txt", "typo": 1}),
        ),
        ("/api/v1/exec", json!({"argv": ["true"], "typo": 1})),
        ("/api/v1/exec", json!({"command": "true", "typo": 1})),
    ] {
        let r = app.send(json(authed("POST", uri), &doc)).await;
        assert_eq!(r.code(), "bad_request", "{uri} {doc}: {r:?}");
        assert_eq!(r.status, 400, "{uri}");
    }
}

#[tokio::test]
async fn an_unknown_query_parameter_is_bad_request_like_an_unknown_json_field() {
    let app = TestApp::new().await;
    app.put("a.txt", b"x").await;
    for (method, uri) in [
        ("GET", "/api/v1/dirs/?limit=1&typo=1"),
        ("GET", "/api/v1/dirs/sub?typo"),
        ("POST", "/api/v1/dirs/new?parents=true&typo=1"),
        ("GET", "/api/v1/stat/a.txt?digest=true&typo=1"),
        ("DELETE", "/api/v1/files/a.txt?recursive=false&typo=1"),
    ] {
        let r = app.send(empty(authed(method, uri))).await;
        r.assert_problem(400, "bad_request");
        let detail = String::from_utf8_lossy(&r.body);
        assert!(detail.contains("typo"), "{method} {uri}: {r:?}");
    }
    // Nothing was done: the folder was not made, the file not deleted.
    let r = app.send(empty(authed("GET", "/api/v1/stat/a.txt"))).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = app.send(empty(authed("GET", "/api/v1/stat/new"))).await;
    assert_eq!(r.status, 404, "{r:?}");
    // The known parameters alone still work.
    let r = app
        .send(empty(authed("GET", "/api/v1/dirs/?limit=1")))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
}

#[tokio::test]
async fn a_url_path_that_is_not_utf8_once_decoded_is_invalid_path_on_every_route() {
    let app = TestApp::new().await;
    let uris = [
        ("GET", "/api/v1/files/%ff"),
        ("GET", "/api/v1/files/docs/%c0%ae%c0%ae/x"),
        ("GET", "/api/v1/stat/a%fe"),
        ("GET", "/api/v1/dirs/%80"),
        ("DELETE", "/api/v1/files/%ff%ff"),
        ("HEAD", "/api/v1/uploads/%ff"),
    ];
    for (method, uri) in uris {
        let r = app.send(empty(authed(method, uri))).await;
        assert_eq!(r.status, 400, "{method} {uri}: {r:?}");
        if method != "HEAD" {
            assert_eq!(r.code(), "invalid_path", "{method} {uri}: {r:?}");
        }
    }
    let r = app
        .send_body(authed("PUT", "/api/v1/files/%ff"), b"x".to_vec())
        .await;
    r.assert_problem(400, "invalid_path");
}

#[tokio::test]
async fn a_json_body_announced_over_its_cap_is_refused_before_it_is_sent() {
    let live = crate::live::Live::start(ferry_http::Limits::default(), None).await;
    // Not one byte of the announced megabyte is sent: the answer must come anyway, and
    // instead of `100 Continue`.
    let head = "POST /api/v1/move HTTP/1.1\r\ncontent-type: application/json\r\n\
                content-length: 1000000\r\nexpect: 100-continue";
    let mut s = live.raw(head, b"").await;
    let answer = crate::live::read_some(&mut s, std::time::Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("body_too_large"), "{answer}");
}

#[tokio::test]
async fn a_json_body_over_its_cap_is_413_body_too_large() {
    let app = TestApp::new().await;
    let doc =
        json!({"path": format!("/{}", "x".repeat(200)), "size": 1, "pad": "y".repeat(128 * 1024)});
    let r = app
        .send(json(authed("POST", "/api/v1/uploads"), &doc))
        .await;
    r.assert_problem(413, "body_too_large");
}

#[tokio::test]
async fn a_cross_origin_write_with_basic_credentials_is_refused() {
    let app = TestApp::new().await;
    let mkdir = |headers: &[(&str, &str)]| {
        let mut b = authed("POST", "/api/v1/dirs/new").header("host", "ferry.example:8443");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        empty(b)
    };
    for headers in [
        &[("origin", "https://evil.example")][..],
        &[("origin", "null")],
        &[("sec-fetch-site", "cross-site")],
        &[
            ("origin", "https://ferry.example:8443"),
            ("sec-fetch-site", "cross-site"),
        ],
    ] {
        let r = app.send(mkdir(headers)).await;
        r.assert_problem(403, "cross_origin_refused");
    }
    assert!(!app.home().join("new").exists());
    let r = app
        .send(mkdir(&[
            ("origin", "https://ferry.example:8443"),
            ("sec-fetch-site", "same-origin"),
        ]))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    // Reads and clients that are not browsers are not affected.
    let r = app
        .send(empty(
            authed("GET", "/api/v1/quota").header("origin", "https://evil.example"),
        ))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
}

#[tokio::test]
async fn a_listing_page_is_never_empty_while_entries_follow() {
    let app = TestApp::new().await;
    for name in ["a\\1", "a\\2", "a\\3", "a\u{202e}4"] {
        std::fs::write(app.home().join(name), b"x").unwrap();
    }
    app.put("b", b"x").await;
    app.put("c", b"x").await;
    let r = app
        .send(empty(authed("GET", "/api/v1/dirs/?limit=1")))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["entries"][0]["name"], "b", "{doc}");
    assert_eq!(doc["next"], "b", "{doc}");
    // The names left out are counted, so the listing says it is not the whole folder.
    assert_eq!(doc["skipped"], 4, "{doc}");
    let r = app
        .send(empty(authed("GET", "/api/v1/dirs/?limit=1&after=b")))
        .await;
    let doc = r.json();
    assert_eq!(doc["entries"][0]["name"], "c", "{doc}");
    assert!(doc["next"].is_null(), "{doc}");
    assert_eq!(doc["skipped"], 4, "{doc}");
}

#[tokio::test]
async fn the_etag_changes_when_content_changes_even_with_size_and_mtime_restored() {
    let app = TestApp::new().await;
    app.put("f", b"first").await;
    let etag = |r: &Reply| r.header("etag").map(str::to_owned);
    let before = app.send(empty(authed("GET", "/api/v1/files/f"))).await;
    assert_eq!(etag(&before), Some(format!("\"{}\"", md5_hex(b"first"))));
    let path = app.home().join("f");
    let old = std::fs::metadata(&path).unwrap();
    let mtime = old.modified().unwrap();
    // The kernel's ctime clock is coarse: rewrite until it has ticked, which it always does.
    loop {
        std::fs::write(&path, b"other").unwrap();
        let f = std::fs::File::options().write(true).open(&path).unwrap();
        f.set_modified(mtime).unwrap();
        let new = f.metadata().unwrap();
        assert_eq!(
            (new.len(), new.modified().unwrap(), new.ino()),
            (5, mtime, old.ino())
        );
        if (new.ctime(), new.ctime_nsec()) != (old.ctime(), old.ctime_nsec()) {
            break;
        }
    }
    let after = app.send(empty(authed("GET", "/api/v1/files/f"))).await;
    assert_eq!(&after.body[..], b"other");
    assert_eq!(etag(&after), Some(format!("\"{}\"", md5_hex(b"other"))));
}

#[tokio::test]
async fn a_user_name_cannot_forge_a_log_line() {
    let app = TestApp::new().await;
    let (buf, _guard) = capture_logs();
    let forged = "mallory\nINFO login user=\"admin\" result=\"ok\"";
    let r = app
        .send(empty(
            anon("GET", "/api/v1/quota").header("authorization", basic(forged, "x")),
        ))
        .await;
    assert_eq!(r.status, 401, "{r:?}");
    let log = buf.text();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("mallory")).collect();
    assert_eq!(lines.len(), 1, "{log}");
    assert!(lines[0].contains(r#"mallory\nINFO"#), "{log}");
    assert!(!log.lines().any(|l| l.starts_with("INFO login")), "{log}");
}
