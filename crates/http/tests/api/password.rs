//! `POST /api/v1/password`: the current password is required, other tokens are revoked, the
//! one that asked keeps working, and the change is audited.

use http::StatusCode;
use serde_json::json;

use crate::logs::capture_logs;
use crate::support::*;

const NEW: &str = "a brand new password";

async fn token(app: &TestApp, password: &str) -> String {
    let r = app
        .send(json(
            anon("POST", "/api/v1/login"),
            &json!({"username": USER, "password": password}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    r.json()["token"].as_str().unwrap().to_string()
}

fn bearer(method: &str, uri: &str, token: &str) -> http::request::Builder {
    anon(method, uri).header("authorization", format!("Bearer {token}"))
}

#[tokio::test]
async fn passwd_needs_the_current_password_and_revokes_every_other_token() {
    let app = TestApp::new().await;
    let (logs, _guard) = capture_logs();
    let page = token(&app, PASSWORD).await;
    let script = token(&app, PASSWORD).await;
    let change = |current: &str, new: &str| {
        json(
            bearer("POST", "/api/v1/password", &page),
            &json!({"current_password": current, "new_password": new}),
        )
    };

    let r = app.send(change("not my password", NEW)).await;
    r.assert_problem(403, "wrong_password");
    let r = app.send(change(PASSWORD, "short")).await;
    r.assert_problem(400, "bad_request");
    let r = app.send(empty(bearer("GET", "/api/v1/me", &script))).await;
    assert_eq!(r.status, StatusCode::OK, "a refused change revokes nothing");

    let r = app.send(change(PASSWORD, NEW)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    let r = app.send(empty(bearer("GET", "/api/v1/me", &page))).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the token that asked keeps working"
    );
    let r = app.send(empty(bearer("GET", "/api/v1/me", &script))).await;
    r.assert_problem(401, "token_invalid");
    let r = app.send(empty(authed("GET", "/api/v1/me"))).await;
    r.assert_problem(401, "auth_failed");
    let r = app
        .send(empty(
            anon("GET", "/api/v1/me").header("authorization", basic(USER, NEW)),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");

    let log = logs.text();
    // Logins are audited too; the change itself is one line.
    let audit: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("ferry::audit") && l.contains(r#"action="password_change""#))
        .collect();
    assert_eq!(audit.len(), 1, "{log}");
    assert!(audit[0].contains("user=alice"), "{log}");
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled_like_logins() {
    let app = TestApp::new().await;
    let page = token(&app, PASSWORD).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let r = app
            .send(json(
                bearer("POST", "/api/v1/password", &page),
                &json!({"current_password": "guess", "new_password": NEW}),
            ))
            .await;
        statuses.push(r.code());
    }
    assert_eq!(statuses[0], "wrong_password");
    assert_eq!(statuses.last().unwrap(), "auth_throttled", "{statuses:?}");
}
