//! Share links: created by the owner, opened by anyone with the link — file and folder,
//! Range downloads, the zip, passwords, expiry, revocation, download limits, drop boxes
//! counted against the owner's quota, no way out of the shared folder. (~370 lines: one
//! scenario per test, each readable alone.)

use http::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

async fn share(app: &TestApp, doc: Value) -> String {
    let r = app.send(json(authed("POST", "/api/v1/shares"), &doc)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let v = r.json();
    assert_eq!(v["url"], format!("/s/{}", v["id"].as_str().unwrap()));
    v["id"].as_str().unwrap().to_string()
}

fn page(uri: &str) -> http::request::Builder {
    anon("GET", uri).header("accept", "text/html")
}

async fn tree(app: &TestApp) {
    app.send(empty(authed("POST", "/api/v1/dirs/pub/sub")))
        .await;
    app.put("pub/a.txt", b"hello share").await;
    app.put("pub/sub/b.bin", &data(300_000, 3)).await;
    app.put("private.txt", b"not shared").await;
}

#[tokio::test]
async fn a_file_link_shows_a_page_and_downloads_with_range() {
    let app = TestApp::new().await;
    let body = data(200_000, 1);
    app.put("report.pdf", &body).await;
    let id = share(&app, json!({"path": "/report.pdf"})).await;

    let r = app.send(empty(page(&format!("/s/{id}")))).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let html = String::from_utf8_lossy(&r.body).to_string();
    assert!(
        html.contains("report.pdf") && html.contains("195.3 KiB"),
        "{html}"
    );
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));

    let r = app
        .send(empty(anon("GET", &format!("/s/{id}/download"))))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(&r.body[..], &body[..]);
    assert!(
        r.header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    let etag = r.header("etag").unwrap().to_string();

    let ranged = anon("GET", &format!("/s/{id}/download")).header("range", "bytes=100-199");
    let r = app.send(empty(ranged.header("if-range", &etag))).await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT, "{r:?}");
    assert_eq!(&r.body[..], &body[100..200]);
    let stale = anon("GET", &format!("/s/{id}/download"))
        .header("range", "bytes=100-199")
        .header("if-range", "\"00000000000000000000000000000000\"");
    let r = app.send(empty(stale)).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "a stale If-Range gets the whole file"
    );

    let r = app
        .send(empty(anon("GET", &format!("/s/{id}/files/x"))))
        .await;
    r.assert_problem(404, "not_found");
}

#[tokio::test]
async fn a_folder_link_lists_downloads_and_zips_only_the_folder() {
    let app = TestApp::new().await;
    tree(&app).await;
    let id = share(&app, json!({"path": "/pub"})).await;

    let r = app.send(empty(anon("GET", &format!("/s/{id}/list")))).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let listing = r.json();
    let names: Vec<&str> = listing["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.txt", "sub"]);
    assert_eq!(r.json()["path"], "/");
    let r = app
        .send(empty(anon("GET", &format!("/s/{id}/list?path=/sub"))))
        .await;
    assert_eq!(r.json()["entries"][0]["path"], "/sub/b.bin", "{r:?}");

    let r = app.send(empty(page(&format!("/s/{id}?path=/sub")))).await;
    let html = String::from_utf8_lossy(&r.body).to_string();
    assert!(html.contains(&format!("/s/{id}/files/sub/b.bin")), "{html}");

    let r = app
        .send(empty(anon("GET", &format!("/s/{id}/files/sub/b.bin"))))
        .await;
    assert_eq!(&r.body[..], &data(300_000, 3)[..]);
    for outside in [
        "../private.txt",
        "%2e%2e/private.txt",
        "sub/../../private.txt",
    ] {
        let r = app
            .send(empty(anon("GET", &format!("/s/{id}/files/{outside}"))))
            .await;
        assert!(r.status == 404 || r.status == 403, "{outside}: {r:?}");
        assert_ne!(&r.body[..], b"not shared");
    }

    let r = app.send(empty(anon("GET", &format!("/s/{id}/zip")))).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert!(r.header("content-disposition").unwrap().contains("pub.zip"));
    assert_eq!(&r.body[..4], b"PK\x03\x04");
    let text = String::from_utf8_lossy(&r.body);
    assert!(text.contains("a.txt") && text.contains("sub/b.bin") && text.contains("hello share"));
    assert!(!text.contains("not shared"));
}

#[tokio::test]
async fn a_symlink_in_a_shared_folder_leads_nowhere() {
    let app = TestApp::new().await;
    tree(&app).await;
    std::os::unix::fs::symlink("../private.txt", app.home().join("pub/link")).unwrap();
    let id = share(&app, json!({"path": "/pub"})).await;
    let r = app
        .send(empty(anon("GET", &format!("/s/{id}/files/link"))))
        .await;
    r.assert_problem(404, "not_found");
    let r = app.send(empty(anon("GET", &format!("/s/{id}/list")))).await;
    assert!(!String::from_utf8_lossy(&r.body).contains("link"), "{r:?}");
    let r = app.send(empty(anon("GET", &format!("/s/{id}/zip")))).await;
    assert!(!String::from_utf8_lossy(&r.body).contains("not shared"));
}

#[tokio::test]
async fn a_password_is_asked_then_checked_and_kept_as_a_grant_cookie() {
    let app = TestApp::new().await;
    app.put("secret.txt", b"the secret").await;
    let id = share(
        &app,
        json!({"path": "/secret.txt", "password": "open sesame"}),
    )
    .await;
    let url = format!("/s/{id}/download");

    let r = app.send(empty(anon("GET", &url))).await;
    r.assert_problem(401, "share_password_required");
    let r = app.send(empty(page(&format!("/s/{id}")))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(String::from_utf8_lossy(&r.body).contains("type=\"password\""));
    let wrong = anon("GET", &url).header("authorization", basic("", "guess"));
    app.send(empty(wrong))
        .await
        .assert_problem(403, "share_password_wrong");
    let right = anon("GET", &url).header("authorization", basic("", "open sesame"));
    let r = app.send(empty(right)).await;
    assert_eq!(&r.body[..], b"the secret", "{r:?}");

    let form = |password: &str| {
        anon("POST", &format!("/s/{id}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .body(axum::body::Body::from(format!("password={password}")))
            .unwrap()
    };
    let r = app.send(form("nope")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(String::from_utf8_lossy(&r.body).contains("not right"));
    let r = app.send(form("open+sesame")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{r:?}");
    let cookie = r.header("set-cookie").unwrap().to_string();
    assert!(cookie.contains(&format!("Path=/s/{id}")) && cookie.contains("HttpOnly"));
    let grant = cookie.split(';').next().unwrap().to_string();
    let r = app
        .send(empty(anon("GET", &url).header("cookie", &grant)))
        .await;
    assert_eq!(&r.body[..], b"the secret", "{r:?}");
    let script = anon("POST", &format!("/s/{id}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from("password=open+sesame"))
        .unwrap();
    let r = app.send(script).await;
    assert_eq!(
        r.status,
        StatusCode::NO_CONTENT,
        "not a browser: no redirect"
    );
    assert!(r.header("set-cookie").is_some());
    let forged = anon("GET", &url).header("cookie", "ferry_share=00ff");
    app.send(empty(forged))
        .await
        .assert_problem(401, "share_password_required");

    // The record keeps a hash, never the password.
    let state = app.dir.path().join("data/state/shares");
    for f in std::fs::read_dir(state).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        assert!(!text.contains("open sesame") && !text.contains(&id));
    }
}

#[tokio::test]
async fn wrong_share_passwords_and_unknown_links_are_throttled_like_logins() {
    let app = TestApp::new().await;
    app.put("f", b"x").await;
    let id = share(&app, json!({"path": "/f", "password": "right one"})).await;
    let mut codes = Vec::new();
    for _ in 0..8 {
        let wrong =
            anon("GET", &format!("/s/{id}/download")).header("authorization", basic("", "no"));
        codes.push(app.send(empty(wrong)).await.code());
    }
    assert_eq!(codes[0], "share_password_wrong");
    assert_eq!(codes.last().unwrap(), "auth_throttled", "{codes:?}");
    let r = app
        .send(empty(anon("GET", "/s/AAAAAAAAAAAAAAAAAAAAAA/info")))
        .await;
    r.assert_problem(404, "share_not_found");
}

#[tokio::test]
async fn expired_revoked_and_used_up_links_say_so_with_410() {
    let app = TestApp::new().await;
    app.put("f.txt", b"0123456789").await;

    let once = share(&app, json!({"path": "/f.txt", "max_downloads": 1})).await;
    let url = format!("/s/{once}/download");
    let resume = anon("GET", &url).header("range", "bytes=5-");
    assert_eq!(
        app.send(empty(resume)).await.status,
        206,
        "a resume is not a new download"
    );
    assert_eq!(app.send(empty(anon("HEAD", &url))).await.status, 200);
    assert_eq!(app.send(empty(anon("GET", &url))).await.status, 200);
    app.send(empty(anon("GET", &url)))
        .await
        .assert_problem(410, "share_exhausted");
    let r = app.send(empty(page(&format!("/s/{once}")))).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(String::from_utf8_lossy(&r.body).contains("used up"));

    let revoked = share(&app, json!({"path": "/f.txt"})).await;
    let r = app
        .send(empty(authed(
            "DELETE",
            &format!("/api/v1/shares/{revoked}"),
        )))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    let r = app
        .send(empty(anon("GET", &format!("/s/{revoked}/download"))))
        .await;
    r.assert_problem(410, "share_revoked");

    let short = share(&app, json!({"path": "/f.txt", "expires": "1s"})).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r = app
        .send(empty(anon("GET", &format!("/s/{short}/download"))))
        .await;
    r.assert_problem(410, "share_expired");

    let r = app.send(empty(authed("GET", "/api/v1/shares"))).await;
    let mut states: Vec<String> = r.json()["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap().to_string())
        .collect();
    states.sort();
    assert_eq!(states, ["exhausted", "expired", "revoked"], "{r:?}");
}

#[tokio::test]
async fn a_drop_box_takes_uploads_counted_against_the_owners_quota() {
    let app = TestApp::new().await;
    app.send(empty(authed("POST", "/api/v1/dirs/inbox"))).await;
    let r = app
        .send(json(
            authed("PATCH", "/api/v1/admin/users/alice"),
            &json!({"quota": 1000}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let id = share(&app, json!({"path": "/inbox", "upload": true})).await;
    let put =
        |name: &str, body: Vec<u8>| with_body(anon("PUT", &format!("/s/{id}/files/{name}")), body);

    let r = app.send(put("note.txt", b"dropped".to_vec())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(r.json()["path"], "/note.txt");
    assert_eq!(
        std::fs::read(app.home().join("inbox/note.txt")).unwrap(),
        b"dropped"
    );
    assert_eq!(app.quota().await["used"], 7);
    app.send(put("note.txt", b"again".to_vec()))
        .await
        .assert_problem(409, "already_exists");
    app.send(put("big.bin", data(2000, 1)))
        .await
        .assert_problem(413, "quota_exceeded");
    app.send(put("sub%2Fx", b"x".to_vec()))
        .await
        .assert_problem(400, "invalid_path");
    // An uploader who asks for a check gets it, as on the owner's own PUT.
    let wrong = b64(&<md5::Md5 as md5::Digest>::digest(b"other"));
    let checked = |name: &str, header: &str, value: String| {
        with_body(
            anon("PUT", &format!("/s/{id}/files/{name}")).header(header, value),
            b"real".to_vec(),
        )
    };
    app.send(checked("m.txt", "content-md5", wrong.clone()))
        .await
        .assert_problem(422, "checksum_mismatch");
    app.send(checked("r.txt", "repr-digest", format!("md5=:{wrong}:")))
        .await
        .assert_problem(422, "checksum_mismatch");
    assert!(!app.home().join("inbox/m.txt").exists());
    assert!(!app.home().join("inbox/r.txt").exists());
    let good = b64(&<md5::Md5 as md5::Digest>::digest(b"real"));
    let r = app.send(checked("ok.txt", "content-md5", good)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");

    let plain = share(&app, json!({"path": "/inbox"})).await;
    let r = app
        .send(with_body(
            anon("PUT", &format!("/s/{plain}/files/x")),
            b"x".to_vec(),
        ))
        .await;
    r.assert_problem(403, "share_refused");
    let r = app
        .send(json(
            authed("POST", "/api/v1/shares"),
            &json!({"path": "/inbox/note.txt", "upload": true}),
        ))
        .await;
    r.assert_problem(400, "bad_request");
}

#[tokio::test]
async fn only_the_owner_lists_and_revokes_and_the_actions_are_audited() {
    let app = TestApp::new().await;
    let (logs, _guard) = crate::logs::capture_logs();
    app.put("f", b"x").await;
    let id = share(&app, json!({"path": "/f"})).await;
    let r = app
        .send(json(
            authed("POST", "/api/v1/admin/users"),
            &json!({"name": "bob", "password": "bob's password"}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let as_bob =
        |m: &str, u: &str| anon(m, u).header("authorization", basic("bob", "bob's password"));
    let r = app
        .send(empty(as_bob("DELETE", &format!("/api/v1/shares/{id}"))))
        .await;
    r.assert_problem(404, "share_not_found");
    let r = app.send(empty(as_bob("GET", "/api/v1/shares"))).await;
    assert_eq!(r.json()["shares"], json!([]));
    let r = app
        .send(empty(authed("DELETE", &format!("/api/v1/shares/{id}"))))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let log = logs.text();
    let audit: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("ferry::audit") && l.contains("share_"))
        .collect();
    assert_eq!(audit.len(), 2, "{log}");
    assert!(
        audit[0].contains("share_create") && audit[1].contains("share_revoke"),
        "{log}"
    );
    assert!(
        !log.contains(&id),
        "the audit trail never holds a working link: {log}"
    );
}
