//! Conditions a request puts on the file routes: `If-Match` / `If-Unmodified-Since` against
//! the version the client saw, every digest header a whole-body `PUT` carries, and query
//! strings that must decode to the names the client spelled.

use http::StatusCode;

use crate::support::{TestApp, authed, b64, data, empty, md5_hex};

fn sha256_field(bytes: &[u8]) -> String {
    format!(
        "sha-256=:{}:",
        b64(&<sha2::Sha256 as sha2::Digest>::digest(bytes))
    )
}

#[tokio::test]
async fn put_checks_content_digest_and_a_sha256_repr_digest_and_refuses_unknown_ones() {
    let app = TestApp::new().await;
    let file = data(700, 5);
    let wrong_md5 = format!("md5=:{}:", b64(&<md5::Md5 as md5::Digest>::digest(b"x")));
    // (header, value, status, code): a wrong digest in any field commits nothing.
    let cases = [
        (
            "content-digest",
            sha256_field(b"x"),
            400,
            "chunk_checksum_mismatch",
        ),
        (
            "repr-digest",
            sha256_field(b"x"),
            400,
            "chunk_checksum_mismatch",
        ),
        ("content-digest", wrong_md5, 422, "checksum_mismatch"),
        (
            "content-digest",
            "sha-512=:AAAA:".to_string(),
            400,
            "checksum_algorithm_unsupported",
        ),
        (
            "content-digest",
            "garbage".to_string(),
            400,
            "digest_malformed",
        ),
    ];
    for (name, value, status, code) in cases {
        let r = app
            .send_body(
                authed("PUT", "/api/v1/files/d.bin").header(name, &value),
                file.clone(),
            )
            .await;
        r.assert_problem(status, code);
        assert!(!app.home().join("d.bin").exists(), "{name}: {value}");
    }
    // Two different SHA-256 values cannot both hold: refused before the body counts.
    let r = app
        .send_body(
            authed("PUT", "/api/v1/files/d.bin")
                .header("content-digest", sha256_field(&file))
                .header("repr-digest", sha256_field(b"x")),
            file.clone(),
        )
        .await;
    r.assert_problem(400, "bad_header");

    for name in ["content-digest", "repr-digest"] {
        let r = app
            .send_body(
                authed("PUT", "/api/v1/files/d.bin").header(name, sha256_field(&file)),
                file.clone(),
            )
            .await;
        assert!(r.status.is_success(), "{name}: {r:?}");
        assert_eq!(std::fs::read(app.home().join("d.bin")).unwrap(), file);
    }
    let quota = app.quota().await;
    assert_eq!(quota["reserved"].as_u64(), Some(0), "{quota}");
}

#[tokio::test]
async fn if_match_guards_put_delete_and_get_against_a_version_the_client_never_saw() {
    let app = TestApp::new().await;
    let (v1, v2, v3) = (data(100, 6), data(120, 7), data(140, 8));
    app.put("im.bin", &v1).await;
    let seen = format!("\"{}\"", md5_hex(&v1));
    app.put("im.bin", &v2).await; // another writer

    let r = app
        .send_body(
            authed("PUT", "/api/v1/files/im.bin").header("if-match", &seen),
            v3.clone(),
        )
        .await;
    r.assert_problem(412, "precondition_failed");
    let r = app
        .send(empty(
            authed("DELETE", "/api/v1/files/im.bin").header("if-match", &seen),
        ))
        .await;
    r.assert_problem(412, "precondition_failed");
    let r = app
        .send(empty(
            authed("GET", "/api/v1/files/im.bin").header("if-match", &seen),
        ))
        .await;
    r.assert_problem(412, "precondition_failed");
    let r = app
        .send(empty(authed("DELETE", "/api/v1/files/im.bin").header(
            "if-unmodified-since",
            "Thu, 01 Jan 1970 00:00:00 GMT",
        )))
        .await;
    r.assert_problem(412, "precondition_failed");
    assert_eq!(std::fs::read(app.home().join("im.bin")).unwrap(), v2);

    // The current tag lets each through.
    let current = format!("\"{}\"", md5_hex(&v2));
    let r = app
        .send(empty(
            authed("GET", "/api/v1/files/im.bin").header("if-match", &current),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let r = app
        .send_body(
            authed("PUT", "/api/v1/files/im.bin").header("if-match", &current),
            v3.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(std::fs::read(app.home().join("im.bin")).unwrap(), v3);
    let r = app
        .send(empty(
            authed("DELETE", "/api/v1/files/im.bin")
                .header("if-match", format!("\"{}\"", md5_hex(&v3))),
        ))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    // No file: `If-Match` cannot hold.
    let r = app
        .send_body(
            authed("PUT", "/api/v1/files/im.bin").header("if-match", &current),
            v1,
        )
        .await;
    r.assert_problem(412, "precondition_failed");
    assert!(!app.home().join("im.bin").exists());
    // A folder has no ETag but has a date: If-Unmodified-Since holds for it.
    app.send(empty(authed("POST", "/api/v1/dirs/dd"))).await;
    let r = app
        .send(empty(authed("DELETE", "/api/v1/files/dd").header(
            "if-unmodified-since",
            "Fri, 01 Jan 2100 00:00:00 GMT",
        )))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
}

#[tokio::test]
async fn a_query_string_that_is_not_utf8_once_decoded_is_refused_not_renamed() {
    let app = TestApp::new().await;
    for uri in [
        "/api/v1/resumable/?path=/a%ffb",
        "/api/v1/files/x.bin?zip=1&name=%c0%ae",
    ] {
        let method = if uri.contains("resumable") {
            "POST"
        } else {
            "GET"
        };
        let r = app
            .send_body(
                authed(method, uri).header("upload-complete", "?1"),
                b"x".to_vec(),
            )
            .await;
        r.assert_problem(400, "bad_request");
    }
    let r = app.send(empty(authed("GET", "/api/v1/dirs/"))).await;
    assert_eq!(
        r.json()["entries"],
        serde_json::json!([]),
        "nothing was created"
    );
}
