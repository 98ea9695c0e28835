//! The web page: the files of `web/`, embedded in the binary (debug builds too, so the page
//! always matches the server) and served at `/` and their own paths.
//!
//! Every page response carries a Content-Security-Policy that allows nothing but this
//! origin's own files: no inline script or style, no other origin to connect to, load from,
//! frame it or be framed by. Swagger UI at `/docs/` needs inline scripts and is mounted
//! separately, outside this policy.
//!
//! One file has a policy of its own: the MD5 worker compiles WebAssembly (hash-wasm), which
//! needs `'wasm-unsafe-eval'`. A dedicated worker loaded from the network runs under the
//! policy delivered with its script, so [`WORKER_CSP`] grants it there and nowhere else; the
//! page's [`CSP`] never does.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;

use crate::state::AppState;

/// The page's policy: this origin only, nothing inline.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self'; connect-src 'self'; worker-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The MD5 worker's policy: its own scripts and compiling WebAssembly, nothing else (it
/// reads the file it is given, and talks to nobody).
pub const WORKER_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'";

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// The URL path it is served at.
    pub route: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its Content-Security-Policy.
    pub csp: &'static str,
    /// The bytes.
    pub body: &'static [u8],
}

macro_rules! asset {
    ($route:expr, $file:expr, $type:expr) => {
        asset!($route, $file, $type, CSP)
    };
    ($route:expr, $file:expr, $type:expr, $csp:expr) => {
        Asset {
            route: $route,
            content_type: $type,
            csp: $csp,
            body: include_bytes!(concat!("../../../../web/", $file)),
        }
    };
}

/// A module of the page, `web/js/NAME`, at `/js/NAME`.
macro_rules! js {
    ($name:literal) => {
        asset!(concat!("/js/", $name), concat!("js/", $name), JS)
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Everything the page loads. A new file in `web/` is served once it is listed here.
pub static ASSETS: &[Asset] = &[
    asset!("/", "index.html", "text/html; charset=utf-8"),
    asset!("/app.css", "app.css", "text/css; charset=utf-8"),
    asset!("/share.css", "share.css", "text/css; charset=utf-8"),
    js!("account.js"),
    js!("api.js"),
    js!("ask.js"),
    js!("browse.js"),
    js!("chunk.js"),
    js!("exec.js"),
    js!("format.js"),
    js!("hasher.js"),
    js!("kinds.js"),
    js!("main.js"),
    asset!("/js/md5-worker.js", "js/md5-worker.js", JS, WORKER_CSP),
    js!("pick.js"),
    js!("preview.js"),
    js!("queue.js"),
    js!("search.js"),
    js!("select.js"),
    js!("dropbox.js"),
    js!("sharing.js"),
    js!("store.js"),
    js!("upload.js"),
    asset!(
        "/vendor/hash-wasm/md5.umd.min.js",
        "vendor/hash-wasm/md5.umd.min.js",
        JS
    ),
    asset!(
        "/vendor/hash-wasm/LICENSE",
        "vendor/hash-wasm/LICENSE",
        "text/plain; charset=utf-8"
    ),
];

/// Routes for every asset.
pub fn router() -> Router<AppState> {
    ASSETS.iter().fold(Router::new(), |router, asset| {
        router.route(
            asset.route,
            get(move |headers: HeaderMap| async move { serve(asset, &headers) }),
        )
    })
}

/// The asset with its policy and a validator: `no-cache` makes the browser revalidate, so
/// after an upgrade the page never mixes old and new modules, and an unchanged file costs a
/// `304`.
fn serve(asset: &Asset, headers: &HeaderMap) -> Response {
    let etag = format!("\"{:016x}\"", fnv1a(asset.body));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if fresh {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        Response::new(Body::from(asset.body))
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(asset.csp),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

/// FNV-1a: a validator for a few small files, not a security boundary.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_asset_is_non_empty_and_typed() {
        for a in ASSETS {
            assert!(!a.body.is_empty(), "{} is empty", a.route);
            assert!(a.content_type.contains('/'), "{}", a.route);
        }
    }

    #[test]
    fn every_web_file_is_listed() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web");
        let mut files = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(root)];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        for f in files.iter().filter(|f| f.as_str() != "README.md") {
            let route = if f == "index.html" {
                "/".to_string()
            } else {
                format!("/{f}")
            };
            assert!(
                ASSETS.iter().any(|a| a.route == route),
                "web/{f} is not served: add it to ASSETS"
            );
        }
    }
}
