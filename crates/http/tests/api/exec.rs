//! `POST /api/v1/exec` in-process: policy refusals, body validation and the documented
//! shapes. Commands that really run are exercised against the real binary in
//! `tests/e2e/exec_doors.rs` (the sandboxing launcher is the `ferry` binary itself).

use http::StatusCode;
use serde_json::json;

use crate::support::{TestApp, anon, authed};

#[tokio::test]
async fn exec_is_refused_with_403_and_nothing_runs_when_the_policy_is_off() {
    let app = TestApp::new().await;
    for accept in ["application/json", "application/x-ndjson"] {
        let doc = json!({"argv": ["touch", "made-by-exec"]});
        let r = app
            .send_json(
                authed("POST", "/api/v1/exec").header("accept", accept),
                &doc,
            )
            .await;
        r.assert_problem(403, "exec_denied");
    }
    let r = app
        .send_json(
            authed("POST", "/api/v1/exec"),
            &json!({"command": "touch made-by-shell"}),
        )
        .await;
    r.assert_problem(403, "exec_denied");
    assert!(!app.home().join("made-by-exec").exists());
    assert!(!app.home().join("made-by-shell").exists());
}

#[tokio::test]
async fn an_exec_body_needs_exactly_one_of_argv_and_command() {
    let app = TestApp::new().await;
    for doc in [
        json!({"argv": ["true"], "command": "true"}),
        json!({"cwd": "/"}),
        json!({"argv": ["true"], "shell": true}),
        json!({"argv": "true"}),
    ] {
        let r = app.send_json(authed("POST", "/api/v1/exec"), &doc).await;
        r.assert_problem(400, "bad_request");
    }
}

#[tokio::test]
async fn exec_needs_credentials() {
    let app = TestApp::new().await;
    let r = app
        .send_json(anon("POST", "/api/v1/exec"), &json!({"argv": ["true"]}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{r:?}");
}

#[test]
fn the_spec_documents_exec_with_both_response_types() {
    use utoipa::OpenApi;
    let spec = ferry_http::openapi::ApiDoc::openapi().to_json().unwrap();
    let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    let op = &spec["paths"]["/api/v1/exec"]["post"];
    let content = &op["responses"]["200"]["content"];
    assert!(content["application/json"].is_object(), "{op}");
    assert!(content["application/x-ndjson"].is_object(), "{op}");
    assert!(op["requestBody"].is_object(), "{op}");
    assert!(op["responses"]["403"].is_object(), "{op}");
    let schemas = &spec["components"]["schemas"];
    for name in ["ExecBody", "ExecResult", "ExecStreamEvent", "ExecExit"] {
        assert!(schemas[name].is_object(), "{name} missing");
    }
}
