//! `/api/v1/admin/users…`: the first user is an admin; anyone else gets `403 not_admin` on
//! every admin route; each admin action is audited.

use http::StatusCode;
use serde_json::json;

use crate::logs::capture_logs;
use crate::support::*;

const BOB: &str = "bob";
const BOB_PASSWORD: &str = "bob's own password";

fn as_bob(method: &str, uri: &str) -> http::request::Builder {
    anon(method, uri).header("authorization", basic(BOB, BOB_PASSWORD))
}

async fn add_bob(app: &TestApp) {
    let r = app
        .send(json(
            authed("POST", "/api/v1/admin/users"),
            &json!({"name": BOB, "password": BOB_PASSWORD, "quota": 1000}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(r.json()["name"], BOB);
    assert_eq!(r.json()["admin"], false);
    assert_eq!(r.json()["quota"], 1000);
}

#[tokio::test]
async fn the_first_user_is_admin_and_me_says_so() {
    let app = TestApp::new().await;
    let r = app.send(empty(authed("GET", "/api/v1/me"))).await;
    assert_eq!(r.json()["admin"], true, "{r:?}");
    add_bob(&app).await;
    let r = app.send(empty(as_bob("GET", "/api/v1/me"))).await;
    assert_eq!(r.json()["admin"], false, "{r:?}");
}

#[tokio::test]
async fn every_admin_route_refuses_a_non_admin_with_403() {
    let app = TestApp::new().await;
    add_bob(&app).await;
    let body = json!({"password": "long enough password"});
    let cases = [
        ("GET", "/api/v1/admin/users", None),
        (
            "POST",
            "/api/v1/admin/users",
            Some(json!({"name": "eve", "password": "long enough password"})),
        ),
        ("GET", "/api/v1/admin/users/alice", None),
        (
            "PATCH",
            "/api/v1/admin/users/alice",
            Some(json!({"quota": 1})),
        ),
        ("DELETE", "/api/v1/admin/users/alice", None),
        ("PUT", "/api/v1/admin/users/alice/password", Some(body)),
    ];
    for (method, uri, doc) in cases {
        let req = match &doc {
            Some(doc) => json(as_bob(method, uri), doc),
            None => empty(as_bob(method, uri)),
        };
        let r = app.send(req).await;
        r.assert_problem(403, "not_admin");
    }
    // Nothing changed: alice still logs in, eve does not exist.
    let r = app.send(empty(authed("GET", "/api/v1/admin/users"))).await;
    let names: Vec<String> = r.json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["alice", BOB]);
}

#[tokio::test]
async fn an_admin_manages_accounts_and_every_action_is_audited() {
    let app = TestApp::new().await;
    let (logs, _guard) = capture_logs();
    add_bob(&app).await;

    let r = app
        .send(json(
            authed("PATCH", "/api/v1/admin/users/bob"),
            &json!({"quota": null, "exec": "allow:df,du"}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.json()["quota"], json!(null));
    assert_eq!(r.json()["exec"]["programs"], json!(["df", "du"]));

    // Bob has an unfinished upload: the admin sees it and his usage.
    let r = app
        .send(json(
            as_bob("POST", "/api/v1/uploads"),
            &json!({"path": "/big.bin", "size": 10}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let r = app
        .send(empty(authed("GET", "/api/v1/admin/users/bob")))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let v = r.json();
    assert_eq!(v["user"]["name"], BOB);
    assert_eq!(v["quota"]["reserved"], 10);
    assert_eq!(v["uploads"][0]["path"], "/big.bin");

    let r = app
        .send(json(
            authed("PUT", "/api/v1/admin/users/bob/password"),
            &json!({"password": "reset by the admin"}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    let r = app.send(empty(as_bob("GET", "/api/v1/me"))).await;
    r.assert_problem(401, "auth_failed");

    let r = app
        .send(empty(authed("DELETE", "/api/v1/admin/users/alice")))
        .await;
    r.assert_problem(400, "bad_request");
    let r = app
        .send(empty(authed(
            "DELETE",
            "/api/v1/admin/users/bob?purge=true",
        )))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    let r = app
        .send(empty(authed("GET", "/api/v1/admin/users/bob")))
        .await;
    r.assert_problem(404, "user_not_found");

    let log = logs.text();
    let actions: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("ferry::audit") && l.contains("user=alice"))
        .filter_map(|l| l.split("action=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(
        actions,
        [
            "user_add",
            "user_set_quota",
            "user_set_exec",
            "user_usage",
            "user_reset_password",
            "user_remove_purge",
            "user_usage",
        ],
        "{log}"
    );
    assert!(log.contains(r#"target="bob""#), "{log}");
}
