//! The embedded web page: served without credentials, with the right types and a
//! Content-Security-Policy that allows nothing external; Swagger UI keeps its own rules.

use http::StatusCode;

use crate::support::{TestApp, anon, empty};

const CSP: &[&str] = &[
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
];

#[tokio::test]
async fn the_page_and_its_assets_are_served_with_their_types_and_a_strict_csp() {
    let app = TestApp::new().await;
    for (path, content_type) in [
        ("/", "text/html; charset=utf-8"),
        ("/app.css", "text/css; charset=utf-8"),
        ("/js/main.js", "text/javascript; charset=utf-8"),
        (
            "/vendor/hash-wasm/md5.umd.min.js",
            "text/javascript; charset=utf-8",
        ),
        ("/vendor/hash-wasm/LICENSE", "text/plain; charset=utf-8"),
    ] {
        let r = app.send(empty(anon("GET", path))).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {r:?}");
        assert_eq!(r.header("content-type"), Some(content_type), "{path}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("cache-control"), Some("no-cache"), "{path}");
        let csp = r.header("content-security-policy").unwrap_or_default();
        let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
        for want in CSP {
            assert!(directives.contains(want), "{path}: {want} missing in {csp}");
        }
        assert!(!csp.contains("unsafe-"), "{path}: {csp}");
        assert!(!csp.contains("http"), "{path}: no other origin in {csp}");
    }
}

/// hash-wasm compiles WebAssembly, which needs `'wasm-unsafe-eval'`: granted in the worker
/// script's own policy (the one a dedicated worker runs under), never in the page's.
#[tokio::test]
async fn only_the_md5_worker_may_compile_webassembly_and_it_may_do_nothing_else() {
    let app = TestApp::new().await;
    let r = app.send(empty(anon("GET", "/js/md5-worker.js"))).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(
        r.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(
        r.header("content-security-policy"),
        Some("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'")
    );
    let page = app.send(empty(anon("GET", "/"))).await;
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(!csp.contains("wasm"), "the page's policy: {csp}");
    assert!(csp.contains("worker-src 'self'"), "{csp}");
}

#[tokio::test]
async fn the_page_loads_nothing_from_elsewhere_and_inlines_no_script_or_style() {
    let app = TestApp::new().await;
    let r = app.send(empty(anon("GET", "/"))).await;
    let html = String::from_utf8_lossy(&r.body);
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(
        !html.contains("style="),
        "inline style would be blocked by the CSP"
    );
    assert!(
        html.matches("<script").count() == html.matches("<script type=\"module\" src=").count(),
        "every script is an external file"
    );
}

#[tokio::test]
async fn an_unchanged_asset_is_revalidated_with_304() {
    let app = TestApp::new().await;
    let r = app.send(empty(anon("GET", "/js/api.js"))).await;
    let etag = r.header("etag").unwrap().to_string();
    let again = app
        .send(empty(
            anon("GET", "/js/api.js").header("if-none-match", &etag),
        ))
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{again:?}");
    assert!(again.body.is_empty());
}

#[tokio::test]
async fn swagger_ui_is_outside_the_page_policy() {
    let app = TestApp::new().await;
    let r = app.send(empty(anon("GET", "/docs/"))).await;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.header("content-security-policy"), None);
}

#[tokio::test]
async fn an_unknown_asset_is_a_404_problem() {
    let app = TestApp::new().await;
    let r = app.send(empty(anon("GET", "/js/nope.js"))).await;
    r.assert_problem(404, "no_route");
}
