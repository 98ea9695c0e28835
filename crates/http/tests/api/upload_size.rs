//! A declared upload size past the server's maximum is refused with `413 upload_too_large`
//! before anything is reserved: no quota, no record, no staging file.

use crate::support::{TestApp, authed, empty};

#[tokio::test]
async fn creating_an_upload_larger_than_the_server_maximum_is_413_upload_too_large() {
    let app = TestApp::new().await;
    for size in [u64::MAX, (1 << 63) + 1] {
        let r = app
            .send_json(
                authed("POST", "/api/v1/uploads"),
                &serde_json::json!({"path": "/huge.bin", "size": size}),
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.code().as_str()),
            (413, "upload_too_large"),
            "a declared size of {size} bytes: {r:?}"
        );
        r.assert_problem(413, "upload_too_large");
    }
    assert_eq!(app.quota().await["reserved"], 0);
    let r = app.send(empty(authed("GET", "/api/v1/uploads"))).await;
    assert_eq!(r.json(), serde_json::json!([]), "{r:?}");
}
