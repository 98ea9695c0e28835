//! Credentials: every API route refuses anonymous requests, wrong passwords are throttled,
//! bearer tokens work until logout.

use std::collections::BTreeSet;

use http::StatusCode;
use serde_json::json;
use utoipa::OpenApi;

use crate::support::{PASSWORD, TestApp, USER, anon, authed, basic, empty};

const UPLOAD_ID: &str = "0123456789abcdef0123456789abcdef";

/// Every authenticated operation: method, spec path, a concrete URI.
const PROTECTED: &[(&str, &str, &str)] = &[
    ("POST", "/api/v1/logout", "/api/v1/logout"),
    ("GET", "/api/v1/me", "/api/v1/me"),
    ("POST", "/api/v1/shares", "/api/v1/shares"),
    ("GET", "/api/v1/shares", "/api/v1/shares"),
    ("DELETE", "/api/v1/shares/{id}", "/api/v1/shares/ID"),
    ("POST", "/api/v1/password", "/api/v1/password"),
    ("GET", "/api/v1/admin/users", "/api/v1/admin/users"),
    ("POST", "/api/v1/admin/users", "/api/v1/admin/users"),
    (
        "GET",
        "/api/v1/admin/users/{name}",
        "/api/v1/admin/users/bob",
    ),
    (
        "PATCH",
        "/api/v1/admin/users/{name}",
        "/api/v1/admin/users/bob",
    ),
    (
        "DELETE",
        "/api/v1/admin/users/{name}",
        "/api/v1/admin/users/bob",
    ),
    (
        "PUT",
        "/api/v1/admin/users/{name}/password",
        "/api/v1/admin/users/bob/password",
    ),
    ("GET", "/api/v1/files/", "/api/v1/files/?zip=true"),
    ("GET", "/api/v1/files/{path}", "/api/v1/files/a.txt"),
    ("HEAD", "/api/v1/files/{path}", "/api/v1/files/a.txt"),
    ("PUT", "/api/v1/files/{path}", "/api/v1/files/a.txt"),
    ("DELETE", "/api/v1/files/{path}", "/api/v1/files/a.txt"),
    ("GET", "/api/v1/dirs/", "/api/v1/dirs/"),
    ("GET", "/api/v1/dirs/", "/api/v1/dirs"),
    ("GET", "/api/v1/dirs/{path}", "/api/v1/dirs/sub"),
    ("POST", "/api/v1/dirs/{path}", "/api/v1/dirs/sub"),
    ("GET", "/api/v1/stat/{path}", "/api/v1/stat/a.txt"),
    ("POST", "/api/v1/move", "/api/v1/move"),
    ("GET", "/api/v1/quota", "/api/v1/quota"),
    ("GET", "/api/v1/search", "/api/v1/search?q=a"),
    ("POST", "/api/v1/uploads", "/api/v1/uploads"),
    ("GET", "/api/v1/uploads", "/api/v1/uploads"),
    ("PUT", "/api/v1/uploads/{id}", "/api/v1/uploads/ID"),
    ("GET", "/api/v1/uploads/{id}", "/api/v1/uploads/ID"),
    ("HEAD", "/api/v1/uploads/{id}", "/api/v1/uploads/ID"),
    ("DELETE", "/api/v1/uploads/{id}", "/api/v1/uploads/ID"),
    ("POST", "/api/v1/exec", "/api/v1/exec"),
    ("POST", "/api/v1/tus/", "/api/v1/tus/"),
    ("HEAD", "/api/v1/tus/{id}", "/api/v1/tus/ID"),
    ("PATCH", "/api/v1/tus/{id}", "/api/v1/tus/ID"),
    ("DELETE", "/api/v1/tus/{id}", "/api/v1/tus/ID"),
    (
        "HEAD",
        "/api/v1/tus/final/{path}",
        "/api/v1/tus/final/a.txt",
    ),
    (
        "PATCH",
        "/api/v1/tus/final/{path}",
        "/api/v1/tus/final/a.txt",
    ),
    (
        "DELETE",
        "/api/v1/tus/final/{path}",
        "/api/v1/tus/final/a.txt",
    ),
    ("POST", "/api/v1/resumable/", "/api/v1/resumable/"),
    ("HEAD", "/api/v1/resumable/{id}", "/api/v1/resumable/ID"),
    ("PATCH", "/api/v1/resumable/{id}", "/api/v1/resumable/ID"),
    ("DELETE", "/api/v1/resumable/{id}", "/api/v1/resumable/ID"),
];

/// Operations that need no credentials.
const PUBLIC_OPS: &[(&str, &str)] = &[
    ("POST", "/api/v1/login"),
    ("GET", "/healthz"),
    ("GET", "/s/{id}"),
    ("POST", "/s/{id}"),
    ("GET", "/s/{id}/info"),
    ("GET", "/s/{id}/list"),
    ("GET", "/s/{id}/download"),
    ("HEAD", "/s/{id}/download"),
    ("GET", "/s/{id}/files/{path}"),
    ("HEAD", "/s/{id}/files/{path}"),
    ("PUT", "/s/{id}/files/{path}"),
    ("GET", "/s/{id}/zip"),
];

/// Every operation in the spec is in one of the tables, so a new route cannot skip this test.
#[test]
fn the_auth_tables_cover_every_operation_in_the_spec() {
    let spec = ferry_http::openapi::ApiDoc::openapi();
    let mut documented = BTreeSet::new();
    for (path, item) in &spec.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("HEAD", &item.head),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("PATCH", &item.patch),
        ];
        for (method, op) in ops {
            if op.is_some() {
                documented.insert((method.to_string(), path.clone()));
            }
        }
    }
    let tabled: BTreeSet<_> = PROTECTED
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .chain(
            PUBLIC_OPS
                .iter()
                .map(|(m, p)| (m.to_string(), p.to_string())),
        )
        .collect();
    assert_eq!(documented, tabled);
}

#[tokio::test]
async fn every_api_route_without_credentials_is_401_not_authenticated_with_a_challenge() {
    let app = TestApp::new().await;
    for (method, _, uri) in PROTECTED {
        let uri = uri.replace("ID", UPLOAD_ID);
        // A plausible request in every other respect, so only the credentials are missing
        // (`Tus-Resumable` for the tus routes, which check the version first).
        let req = anon(method, &uri)
            .header("tus-resumable", "1.0.0")
            .header("content-type", "application/json")
            .header("content-range", "bytes 0-1/2");
        let body = match (*method, uri.as_str()) {
            ("POST", "/api/v1/move") => json!({"from": "/a", "to": "/b"}).to_string(),
            ("POST", "/api/v1/uploads") => json!({"path": "/a", "size": 2}).to_string(),
            ("PUT", _) => "xy".into(),
            _ => String::new(),
        };
        let r = app.send_body(req, body.into_bytes()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {uri}: {r:?}");
        let challenge = r.header("www-authenticate").unwrap_or_default();
        assert!(
            challenge.contains("Basic") && challenge.contains("Bearer"),
            "{method} {uri}: challenge {challenge:?}"
        );
        if *method != "HEAD" {
            r.assert_problem(401, "not_authenticated");
        }
    }
    assert!(
        !app.home().join("a.txt").exists() && !app.home().join("sub").exists(),
        "nothing was done for an anonymous client"
    );
}

#[tokio::test]
async fn public_routes_answer_200_without_credentials() {
    let app = TestApp::new().await;
    for uri in ["/healthz", "/openapi.json", "/", "/docs/"] {
        let r = app.send(empty(anon("GET", uri))).await;
        assert_eq!(r.status, StatusCode::OK, "GET {uri}: {r:?}");
    }
    let health = app.send(empty(anon("GET", "/healthz"))).await;
    assert_eq!(health.json()["status"], "ok");
    let spec = app.send(empty(anon("GET", "/openapi.json"))).await;
    assert!(spec.json()["paths"]["/api/v1/uploads/{id}"].is_object());
}

#[tokio::test]
async fn login_is_public_but_needs_a_json_body() {
    let app = TestApp::new().await;
    let r = app.send(empty(anon("POST", "/api/v1/login"))).await;
    r.assert_problem(400, "bad_request");
    let r = app
        .send_json(
            anon("POST", "/api/v1/login"),
            &json!({"username": USER, "password": PASSWORD, "extra": 1}),
        )
        .await;
    r.assert_problem(400, "bad_request");
}

#[tokio::test]
async fn an_unknown_scheme_or_token_is_refused_and_token_clients_are_not_offered_basic() {
    let app = TestApp::new().await;
    let r = app
        .send(empty(
            anon("GET", "/api/v1/quota").header("authorization", "Digest username=\"alice\""),
        ))
        .await;
    r.assert_problem(401, "not_authenticated");
    let r = app
        .send(empty(
            anon("GET", "/api/v1/quota").header("authorization", "Bearer not-a-real-token"),
        ))
        .await;
    r.assert_problem(401, "token_invalid");
    assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"ferry\""));
}

#[tokio::test]
async fn a_wrong_basic_password_is_401_auth_failed_and_repeated_failures_429_with_retry_after() {
    let app = TestApp::new().await;
    let wrong = || {
        empty(anon("GET", "/api/v1/quota").header("authorization", basic(USER, "wrong password")))
    };
    for attempt in 1..=5 {
        let r = app.send(wrong()).await;
        assert_eq!(r.code(), "auth_failed", "attempt {attempt}: {r:?}");
        r.assert_problem(401, "auth_failed");
    }
    // The throttle locks once the free failures are used up; at most one more attempt is
    // checked before it does.
    let mut throttled = None;
    for _ in 0..2 {
        let r = app.send(wrong()).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some(r);
            break;
        }
        r.assert_problem(401, "auth_failed");
    }
    let r = throttled.expect("429 after repeated failures");
    r.assert_problem(429, "auth_throttled");
    let retry: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in seconds");
    assert!(retry >= 1, "{r:?}");
    assert_eq!(r.json()["retry_after"], retry);
    // The right password is refused too while the lock lasts.
    let r = app.send(empty(authed("GET", "/api/v1/quota"))).await;
    r.assert_problem(429, "auth_throttled");
}

#[tokio::test]
async fn a_login_token_works_until_logout_and_then_is_401_token_invalid() {
    let app = TestApp::new().await;
    let r = app
        .send_json(
            anon("POST", "/api/v1/login"),
            &json!({"username": USER, "password": "not it"}),
        )
        .await;
    r.assert_problem(401, "auth_failed");

    let r = app
        .send_json(
            anon("POST", "/api/v1/login"),
            &json!({"username": USER, "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["user"], USER);
    let token = doc["token"].as_str().expect("a token").to_string();
    let bearer = format!("Bearer {token}");
    let quota = || empty(anon("GET", "/api/v1/quota").header("authorization", &bearer));

    let r = app.send(quota()).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.json()["used"], 0);

    let r = app
        .send(empty(
            anon("POST", "/api/v1/logout").header("authorization", &bearer),
        ))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    let r = app.send(quota()).await;
    r.assert_problem(401, "token_invalid");
}
