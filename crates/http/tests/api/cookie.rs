//! The download cookie: set by a login that asks for it, good for GET/HEAD of files alone,
//! revoked with its token.

use http::StatusCode;
use serde_json::json;

use crate::support::{PASSWORD, Reply, TestApp, USER, anon, data, empty};

const TTL: u64 = 24 * 3600;

async fn login(app: &TestApp, cookie: Option<bool>) -> Reply {
    let mut doc = json!({"username": USER, "password": PASSWORD});
    if let Some(cookie) = cookie {
        doc["cookie"] = cookie.into();
    }
    let r = app.send_json(anon("POST", "/api/v1/login"), &doc).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    r
}

/// Logs in with `cookie: true`; returns the token and the `Cookie` header a browser sends.
async fn cookie_login(app: &TestApp) -> (String, String) {
    let r = login(app, Some(true)).await;
    let token = r.json()["token"].as_str().expect("a token").to_string();
    (token.clone(), format!("ferry_download={token}"))
}

#[tokio::test]
async fn login_with_cookie_sets_an_httponly_strict_cookie_scoped_to_files_for_the_token_ttl() {
    let app = TestApp::new().await;
    let r = login(&app, Some(true)).await;
    let token = r.json()["token"].as_str().unwrap().to_string();
    let cookies: Vec<_> = r.headers.get_all("set-cookie").iter().collect();
    assert_eq!(cookies.len(), 1, "{r:?}");
    assert_eq!(
        cookies[0].to_str().unwrap(),
        format!(
            "ferry_download={token}; Path=/api/v1/files; HttpOnly; SameSite=Strict; Max-Age={TTL}"
        )
    );
}

#[tokio::test]
async fn login_without_cookie_or_with_false_sets_no_cookie() {
    let app = TestApp::new().await;
    for cookie in [None, Some(false)] {
        let r = login(&app, cookie).await;
        assert_eq!(r.header("set-cookie"), None, "{cookie:?}: {r:?}");
    }
}

#[tokio::test]
async fn the_cookie_alone_downloads_a_file_whole_and_by_range() {
    let app = TestApp::new().await;
    let body = data(1000, 7);
    app.put("a%20b.bin", &body).await;
    let (_, cookie) = cookie_login(&app).await;
    let get = || anon("GET", "/api/v1/files/a%20b.bin").header("cookie", &cookie);

    let r = app.send(empty(get())).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(&r.body[..], &body[..]);
    let etag = r.header("etag").unwrap().to_string();

    let r = app
        .send(empty(
            get()
                .header("range", "bytes=100-")
                .header("if-range", &etag),
        ))
        .await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT, "{r:?}");
    assert_eq!(r.header("content-range"), Some("bytes 100-999/1000"));
    assert_eq!(&r.body[..], &body[100..]);

    let r = app
        .send(empty(
            anon("HEAD", "/api/v1/files/a%20b.bin").header("cookie", &cookie),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.header("content-length"), Some("1000"));
}

#[tokio::test]
async fn the_cookie_is_refused_for_anything_but_reading_files() {
    let app = TestApp::new().await;
    app.put("a.txt", b"keep me").await;
    let (_, cookie) = cookie_login(&app).await;
    let cases = [
        ("PUT", "/api/v1/files/a.txt", "replaced".to_string()),
        ("PUT", "/api/v1/files/b.txt", "new".to_string()),
        ("DELETE", "/api/v1/files/a.txt", String::new()),
        ("GET", "/api/v1/dirs/", String::new()),
        ("POST", "/api/v1/dirs/sub", String::new()),
        ("GET", "/api/v1/uploads", String::new()),
        (
            "POST",
            "/api/v1/uploads",
            json!({"path": "/c", "size": 2}).to_string(),
        ),
        ("GET", "/api/v1/quota", String::new()),
        ("GET", "/api/v1/me", String::new()),
        ("GET", "/api/v1/stat/a.txt", String::new()),
        ("POST", "/api/v1/logout", String::new()),
        (
            "POST",
            "/api/v1/exec",
            json!({"argv": ["true"]}).to_string(),
        ),
    ];
    for (method, uri, body) in cases {
        let req = anon(method, uri)
            .header("cookie", &cookie)
            .header("content-type", "application/json");
        let r = app.send_body(req, body.into_bytes()).await;
        r.assert_problem(401, "not_authenticated");
        assert_eq!(
            r.header("www-authenticate"),
            Some("Bearer realm=\"ferry\""),
            "{method} {uri}: a cookie client is not offered Basic"
        );
    }
    assert_eq!(std::fs::read(app.home().join("a.txt")).unwrap(), b"keep me");
    assert!(!app.home().join("b.txt").exists() && !app.home().join("sub").exists());
}

#[tokio::test]
async fn an_authorization_header_wins_over_the_cookie() {
    let app = TestApp::new().await;
    app.put("a.txt", b"x").await;
    let (_, cookie) = cookie_login(&app).await;
    let r = app
        .send(empty(
            anon("GET", "/api/v1/files/a.txt")
                .header("cookie", &cookie)
                .header("authorization", "Bearer not-a-real-token"),
        ))
        .await;
    r.assert_problem(401, "token_invalid");
}

#[tokio::test]
async fn after_logout_the_cookie_no_longer_downloads_and_is_cleared() {
    let app = TestApp::new().await;
    app.put("a.txt", b"secret").await;
    let (token, cookie) = cookie_login(&app).await;
    let get = || empty(anon("GET", "/api/v1/files/a.txt").header("cookie", &cookie));
    assert_eq!(app.send(get()).await.status, StatusCode::OK);

    let r = app
        .send(empty(
            anon("POST", "/api/v1/logout").header("authorization", format!("Bearer {token}")),
        ))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    assert_eq!(
        r.header("set-cookie"),
        Some("ferry_download=; Path=/api/v1/files; HttpOnly; SameSite=Strict; Max-Age=0")
    );
    app.send(get()).await.assert_problem(401, "token_invalid");
}

#[tokio::test]
async fn a_made_up_cookie_is_401_token_invalid() {
    let app = TestApp::new().await;
    app.put("a.txt", b"x").await;
    let r = app
        .send(empty(
            anon("GET", "/api/v1/files/a.txt").header("cookie", "ferry_download=forged"),
        ))
        .await;
    r.assert_problem(401, "token_invalid");
}
