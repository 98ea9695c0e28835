//! `--cors-origin`: preflights and answers for the listed origins, nothing for the others,
//! credentials never with `*`, and the Basic cross-origin refusal lifted only for the list.

use ferry_http::Limits;
use ferry_http::cors::{ALLOWED_HEADERS, EXPOSED_HEADERS, parse_origin};
use http::StatusCode;

use crate::support::{TestApp, anon, authed, empty};

const APP: &str = "https://app.example:8443";
const OTHER: &str = "https://evil.example";

async fn app_with_cors() -> TestApp {
    TestApp::with_limits(Limits {
        cors_origins: vec![
            parse_origin(APP).unwrap(),
            parse_origin("http://localhost:5173").unwrap(),
        ],
        ..Limits::default()
    })
    .await
}

fn preflight(origin: &str, method: &str, headers: &str) -> http::Request<axum::body::Body> {
    empty(
        anon("OPTIONS", "/api/v1/uploads")
            .header("host", "ferry.example")
            .header("origin", origin)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", headers),
    )
}

/// The comma-separated list in `value`, lowercased.
fn list(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

#[tokio::test]
async fn a_preflight_from_a_listed_origin_allows_the_upload_headers_with_credentials() {
    let app = app_with_cors().await;
    let r = app
        .send(preflight(
            APP,
            "PATCH",
            "authorization,content-type,upload-offset,tus-resumable,upload-complete",
        ))
        .await;
    assert!(r.status.is_success(), "{r:?}");
    assert_eq!(r.header("access-control-allow-origin"), Some(APP), "{r:?}");
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    let methods = list(r.header("access-control-allow-methods"));
    for m in ["get", "head", "post", "put", "patch", "delete", "options"] {
        assert!(methods.contains(&m.to_string()), "{m} missing: {methods:?}");
    }
    let allowed = list(r.header("access-control-allow-headers"));
    for h in ALLOWED_HEADERS {
        assert!(allowed.contains(&h.to_string()), "{h} missing: {allowed:?}");
    }
    for h in ["authorization", "upload-draft-interop-version", "if-match"] {
        assert!(allowed.contains(&h.to_string()), "{h} missing: {allowed:?}");
    }
    assert!(r.header("access-control-max-age").is_some(), "{r:?}");
    assert!(
        list(r.header("vary")).contains(&"origin".to_string()),
        "{r:?}"
    );
}

#[tokio::test]
async fn answers_to_a_listed_origin_expose_the_upload_headers_errors_included() {
    let app = app_with_cors().await;
    let r = app
        .send(empty(authed("GET", "/api/v1/quota").header("origin", APP)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
    let exposed = list(r.header("access-control-expose-headers"));
    for h in EXPOSED_HEADERS {
        assert!(exposed.contains(&h.to_string()), "{h} missing: {exposed:?}");
    }
    // A page must be able to read why it failed.
    let r = app
        .send(empty(
            anon("GET", "/api/v1/uploads/nope").header("origin", APP),
        ))
        .await;
    r.assert_problem(401, "not_authenticated");
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
}

#[tokio::test]
async fn an_unlisted_origin_gets_no_cors_header_and_its_basic_writes_stay_refused() {
    let app = app_with_cors().await;
    let r = app
        .send(preflight(OTHER, "POST", "authorization,content-type"))
        .await;
    assert!(!r.status.is_success(), "{r:?}");
    let r2 = app
        .send(empty(
            authed("GET", "/api/v1/quota").header("origin", OTHER),
        ))
        .await;
    assert_eq!(r2.status, StatusCode::OK, "{r2:?}");
    for reply in [&r, &r2] {
        let cors: Vec<_> = reply
            .headers
            .keys()
            .filter(|k| k.as_str().starts_with("access-control-"))
            .collect();
        assert!(cors.is_empty(), "CORS headers for {OTHER}: {cors:?}");
    }
    let r = app
        .send(empty(
            authed("POST", "/api/v1/dirs/new")
                .header("host", "ferry.example")
                .header("origin", OTHER),
        ))
        .await;
    r.assert_problem(403, "cross_origin_refused");
    assert!(r.header("access-control-allow-origin").is_none(), "{r:?}");
    assert!(!app.home().join("new").exists());
}

#[tokio::test]
async fn a_listed_origin_may_write_with_basic_credentials() {
    let app = app_with_cors().await;
    let r = app
        .send_body(
            authed("PUT", "/api/v1/files/from-app.txt")
                .header("host", "ferry.example")
                .header("origin", APP)
                .header("sec-fetch-site", "cross-site"),
            b"hello".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(r.header("access-control-allow-origin"), Some(APP));
    assert_eq!(
        r.header("etag"),
        Some("\"5d41402abc4b2a76b9719d911017c592\"")
    );
    assert_eq!(
        std::fs::read(app.home().join("from-app.txt")).unwrap(),
        b"hello"
    );
}

#[tokio::test]
async fn credentials_are_never_allowed_with_a_wildcard_origin() {
    assert!(parse_origin("*").is_err());
    let app = app_with_cors().await;
    for origin in [APP, OTHER, "null"] {
        for req in [
            preflight(origin, "PUT", "authorization"),
            empty(authed("GET", "/api/v1/me").header("origin", origin)),
        ] {
            let r = app.send(req).await;
            let allow = r.header("access-control-allow-origin");
            assert_ne!(allow, Some("*"), "{r:?}");
            if r.header("access-control-allow-credentials").is_some() {
                assert_eq!(allow, Some(APP), "{r:?}");
            }
        }
    }
}

#[tokio::test]
async fn without_cors_origins_no_request_gets_cors_headers() {
    let app = TestApp::new().await;
    let r = app.send(preflight(APP, "PUT", "authorization")).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{r:?}");
    let r2 = app
        .send(empty(authed("GET", "/api/v1/me").header("origin", APP)))
        .await;
    for reply in [&r, &r2] {
        assert!(
            !reply
                .headers
                .keys()
                .any(|k| k.as_str().starts_with("access-control-")),
            "{reply:?}"
        );
    }
}

#[tokio::test]
async fn an_options_request_that_is_not_a_preflight_reaches_the_routes() {
    let app = app_with_cors().await;
    let r = app
        .send(empty(
            anon("OPTIONS", "/api/v1/uploads").header("origin", APP),
        ))
        .await;
    // No route answers OPTIONS yet, so the router's own answer comes back, readable by the page.
    r.assert_problem(405, "method_not_allowed");
    assert_eq!(r.header("access-control-allow-origin"), Some(APP), "{r:?}");
    assert!(r.header("access-control-allow-methods").is_none(), "{r:?}");
}
