//! Every input has one specific answer: unknown JSON fields, over-long or look-alike names,
//! oversized JSON bodies, cross-origin writes.

use serde_json::json;

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
