//! `GET /api/v1/me`: the user's own account, with the exec policy as this server applies it.

use ferry_core::{Config, ExecPolicy};
use ferry_http::Limits;
use http::StatusCode;
use serde_json::json;

use crate::support::{PASSWORD, TestApp, USER, anon, authed, empty};

/// The gateway over a core whose launcher is set or not, alice (a 1 MiB quota) having `policy`.
async fn app_with(launcher: bool, policy: ExecPolicy) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path().join("data"));
    if launcher {
        config.exec.launcher = Some("/bin/true".into());
    }
    let ferry = ferry_store_local::open(config).await.unwrap();
    ferry
        .add_user(USER.parse().unwrap(), PASSWORD.into(), Some(1 << 20))
        .await
        .unwrap();
    ferry.set_exec(USER.parse().unwrap(), policy).await.unwrap();
    let app = ferry_http::app(ferry, Limits::default());
    TestApp { dir, app }
}

/// Alice's `GET /api/v1/me` document (the request must succeed).
async fn me(app: &TestApp) -> serde_json::Value {
    let r = app.send(empty(authed("GET", "/api/v1/me"))).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    r.json()
}

#[tokio::test]
async fn me_names_the_user_and_their_quota_with_exec_off_by_default() {
    let app = TestApp::new().await;
    assert_eq!(
        me(&app).await,
        json!({
            "user": USER,
            "exec": {"mode": "off", "programs": [], "max_timeout_secs": null},
            "quota": {"used": 0, "reserved": 0, "limit": null},
            "admin": true,
        })
    );
}

#[tokio::test]
async fn me_lists_the_allowed_programs_and_says_shell() {
    let app = app_with(true, ExecPolicy::Allow(vec!["df".into(), "du".into()])).await;
    let v = me(&app).await;
    assert_eq!(v["exec"]["mode"], "allow");
    assert_eq!(v["exec"]["programs"], json!(["df", "du"]));
    assert_eq!(v["quota"]["limit"], 1 << 20);
    let app = app_with(true, ExecPolicy::Shell).await;
    assert_eq!(
        me(&app).await["exec"],
        json!({"mode": "shell", "programs": [], "max_timeout_secs": null})
    );
}

#[tokio::test]
async fn me_says_off_when_the_server_has_exec_turned_off() {
    let app = app_with(false, ExecPolicy::Shell).await;
    assert_eq!(me(&app).await["exec"]["mode"], "off");
}

#[tokio::test]
async fn me_needs_credentials() {
    let app = TestApp::new().await;
    let r = app.send(empty(anon("GET", "/api/v1/me"))).await;
    r.assert_problem(401, "not_authenticated");
}
