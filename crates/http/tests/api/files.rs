//! Whole-body PUT, the namespace routes, paths that try to leave the home, malformed requests.

use axum::body::Body;
use http::StatusCode;
use serde_json::json;

use crate::support::{TestApp, authed, b64, data, empty, md5_hex};

#[tokio::test]
async fn put_creates_then_replaces_and_if_none_match_star_refuses_with_412() {
    let app = TestApp::new().await;
    let (first, second) = (data(300, 1), data(200, 2));
    let r = app
        .send_body(authed("PUT", "/api/v1/files/f.bin"), first.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(r.header("location"), Some("/api/v1/files/f.bin"));
    let etag = format!("\"{}\"", md5_hex(&first));
    assert_eq!(r.header("etag"), Some(etag.as_str()));

    let r = app
        .send_body(
            authed("PUT", "/api/v1/files/f.bin").header("if-none-match", "*"),
            second.clone(),
        )
        .await;
    r.assert_problem(412, "precondition_failed");
    assert_eq!(std::fs::read(app.home().join("f.bin")).unwrap(), first);

    let r = app
        .send_body(authed("PUT", "/api/v1/files/f.bin"), second.clone())
        .await;
    assert_eq!(r.status, StatusCode::OK, "replacing: {r:?}");
    assert_eq!(std::fs::read(app.home().join("f.bin")).unwrap(), second);
}

#[tokio::test]
async fn put_with_a_wrong_md5_is_422_and_leaves_nothing() {
    let app = TestApp::new().await;
    let file = data(500, 3);
    let wrong = <md5::Md5 as md5::Digest>::digest(b"other");
    for (name, value) in [
        ("content-md5", b64(&wrong)),
        ("repr-digest", format!("md5=:{}:", b64(&wrong))),
    ] {
        let r = app
            .send_body(
                authed("PUT", "/api/v1/files/g.bin").header(name, &value),
                file.clone(),
            )
            .await;
        r.assert_problem(422, "checksum_mismatch");
        assert!(!app.home().join("g.bin").exists(), "{name}");
    }
    let quota = app.quota().await;
    assert_eq!(
        (quota["used"].as_u64(), quota["reserved"].as_u64()),
        (Some(0), Some(0))
    );
    let r = app.send(empty(authed("GET", "/api/v1/uploads"))).await;
    assert_eq!(r.json(), json!([]), "no upload left behind");
}

#[tokio::test]
async fn put_without_content_length_is_411_and_a_short_body_leaves_nothing() {
    let app = TestApp::new().await;
    let r = app
        .send(
            authed("PUT", "/api/v1/files/h.bin")
                .body(Body::from(data(10, 4)))
                .unwrap(),
        )
        .await;
    r.assert_problem(411, "length_required");
    assert!(!app.home().join("h.bin").exists());

    let r = app
        .send(
            authed("PUT", "/api/v1/files/h.bin")
                .header("content-length", 100)
                .body(Body::from(data(50, 4)))
                .unwrap(),
        )
        .await;
    r.assert_problem(409, "upload_incomplete");
    app.assert_nothing_committed("h.bin", "a short body").await;
}

#[tokio::test]
async fn paths_that_leave_the_home_are_refused_and_never_serve_outside_bytes() {
    let app = TestApp::new().await;
    let secret = "TOP SECRET outside the home";
    std::fs::write(app.dir.path().join("secret.txt"), secret).unwrap();
    std::fs::write(app.dir.path().join("data").join("secret.txt"), secret).unwrap();
    let escapes = [
        "..%2F..%2Fsecret.txt",
        "..%2F..%2F..%2Fsecret.txt",
        "%2e%2e/%2e%2e/secret.txt",
        "%2E%2E%2F%2E%2E%2F%2E%2E%2Fsecret.txt",
        "../../secret.txt",
        "a/../../../secret.txt",
        "..%2F..%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "..",
    ];
    for path in escapes {
        for (method, prefix) in [("GET", "files"), ("GET", "stat"), ("GET", "dirs")] {
            let uri = format!("/api/v1/{prefix}/{path}");
            let r = app.send(empty(authed(method, &uri))).await;
            assert!(
                matches!(
                    (r.status.as_u16(), r.code().as_str()),
                    (403, "path_outside_home") | (400, "invalid_path")
                ),
                "{method} {uri}: {r:?}"
            );
            let text = String::from_utf8_lossy(&r.body);
            assert!(!text.contains(secret) && !text.contains("root:"), "{uri}");
        }
        let uri = format!("/api/v1/files/{path}");
        let r = app
            .send_body(authed("PUT", &uri), b"planted".to_vec())
            .await;
        assert!(
            r.status == StatusCode::FORBIDDEN || r.status == StatusCode::BAD_REQUEST,
            "PUT {uri}: {r:?}"
        );
    }
    // Absolute-looking paths are read from the home, so they name nothing there.
    for path in ["%2Fetc%2Fpasswd", "/etc/passwd", "%2F..%2F..%2Fsecret.txt"] {
        let uri = format!("/api/v1/files/{path}");
        let r = app.send(empty(authed("GET", &uri))).await;
        assert!(
            matches!(
                (r.status.as_u16(), r.code().as_str()),
                (403, "path_outside_home") | (400, "invalid_path") | (404, "not_found")
            ),
            "GET {uri}: {r:?}"
        );
        assert!(!String::from_utf8_lossy(&r.body).contains("root:"), "{uri}");
    }
    let r = app
        .send_json(
            authed("POST", "/api/v1/uploads"),
            &json!({"path": "../../planted", "size": 1}),
        )
        .await;
    assert_eq!(r.code(), "path_outside_home", "{r:?}");
    let r = app
        .send_json(
            authed("POST", "/api/v1/move"),
            &json!({"from": "/", "to": "../../moved"}),
        )
        .await;
    assert!(r.status.is_client_error(), "{r:?}");
    for outside in ["planted", "moved", "data/planted", "data/moved"] {
        assert!(!app.dir.path().join(outside).exists(), "{outside}");
    }
    assert_eq!(
        std::fs::read_dir(app.dir.path().join("data/homes"))
            .unwrap()
            .count(),
        1
    );
}

#[tokio::test]
async fn malformed_json_unknown_routes_and_wrong_methods_are_problems() {
    let app = TestApp::new().await;
    for body in [
        &b"{\"path\":"[..],
        b"[]",
        b"{\"path\": \"/x\", \"size\": -1}",
        b"",
    ] {
        let req = authed("POST", "/api/v1/uploads").header("content-type", "application/json");
        let r = app.send_body(req, body.to_vec()).await;
        r.assert_problem(400, "bad_request");
    }
    let r = app.send(empty(authed("GET", "/api/v1/nope"))).await;
    r.assert_problem(404, "no_route");
    let r = app.send(empty(authed("GET", "/api/v2/quota"))).await;
    r.assert_problem(404, "no_route");
    let r = app.send(empty(authed("PATCH", "/api/v1/quota"))).await;
    r.assert_problem(405, "method_not_allowed");
    let r = app
        .send(empty(authed("GET", "/api/v1/dirs/?limit=many")))
        .await;
    r.assert_problem(400, "bad_request");
}

async fn names(app: &TestApp, uri: &str) -> (Vec<String>, serde_json::Value) {
    let r = app.send(empty(authed("GET", uri))).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {r:?}");
    let doc = r.json();
    let names = doc["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    (names, doc["next"].clone())
}

#[tokio::test]
async fn listing_pages_with_limit_and_next() {
    let app = TestApp::new().await;
    for name in ["c", "a", "b"] {
        app.put(name, name.as_bytes()).await;
    }
    let (page, next) = names(&app, "/api/v1/dirs/?limit=2").await;
    assert_eq!(
        (page, next.clone()),
        (vec!["a".into(), "b".into()], json!("b"))
    );
    let (page, next) = names(&app, "/api/v1/dirs/?limit=2&after=b").await;
    assert_eq!((page, next), (vec!["c".to_string()], json!(null)));
    let (all, _) = names(&app, "/api/v1/dirs").await;
    assert_eq!(all, ["a", "b", "c"]);
}

#[tokio::test]
async fn mkdir_move_delete_and_quota_change_the_home() {
    let app = TestApp::new().await;
    let r = app.send(empty(authed("POST", "/api/v1/dirs/x/y/z"))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(r.json()["kind"], "dir");
    assert!(app.home().join("x/y/z").is_dir());
    let r = app
        .send(empty(authed("POST", "/api/v1/dirs/p/q?parents=false")))
        .await;
    assert!(r.status.is_client_error(), "{r:?}");
    assert!(!app.home().join("p").exists());

    let file = data(1234, 7);
    app.put("a.bin", &file).await;
    let r = app
        .send_json(
            authed("POST", "/api/v1/move"),
            &json!({"from": "/a.bin", "to": "/x/y/moved.bin"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.json()["path"], "/x/y/moved.bin");
    assert!(!app.home().join("a.bin").exists());
    assert_eq!(
        std::fs::read(app.home().join("x/y/moved.bin")).unwrap(),
        file
    );
    let r = app
        .send(empty(authed("GET", "/api/v1/stat/x/y/moved.bin")))
        .await;
    assert_eq!(r.json()["size"], 1234, "{r:?}");

    let quota = app.quota().await;
    assert_eq!(quota["used"], 1234, "{quota}");
    assert_eq!(quota["limit"], json!(null), "{quota}");

    let r = app.send(empty(authed("DELETE", "/api/v1/files/x"))).await;
    r.assert_problem(409, "directory_not_empty");
    assert!(app.home().join("x/y/moved.bin").exists());
    let r = app
        .send(empty(authed("DELETE", "/api/v1/files/x?recursive=true")))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    assert!(!app.home().join("x").exists());
    assert_eq!(app.quota().await["used"], 0);
    let r = app.send(empty(authed("DELETE", "/api/v1/files/x"))).await;
    r.assert_problem(404, "not_found");
}

#[tokio::test]
async fn moving_a_file_below_itself_is_not_a_directory_and_a_folder_into_itself_bad_request() {
    let app = TestApp::new().await;
    app.put("et.txt", b"et").await;
    app.send(empty(authed("POST", "/api/v1/dirs/d"))).await;
    let mv = |from: &str, to: &str| json!({"from": from, "to": to});
    let r = app
        .send_json(authed("POST", "/api/v1/move"), &mv("/et.txt", "/et.txt/b"))
        .await;
    r.assert_problem(409, "not_a_directory");
    let r = app
        .send_json(authed("POST", "/api/v1/move"), &mv("/d", "/d/e"))
        .await;
    r.assert_problem(400, "bad_request");
    assert_eq!(std::fs::read(app.home().join("et.txt")).unwrap(), b"et");
}
