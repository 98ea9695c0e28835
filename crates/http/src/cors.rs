//! CORS for browsers on other origins (`ferry serve --cors-origin ORIGIN`), off by default.
//!
//! Only the listed origins get CORS headers, and with credentials allowed: a page there may
//! send `Authorization` and read the answers, tus/IETF upload headers included. Every other
//! origin's requests pass untouched, without a single CORS header, so the browser keeps them
//! from reading anything, and the Basic-auth cross-origin refusal ([`crate::auth`]) still
//! applies to them. `*` is never used: credentials and a wildcard do not mix.
//!
//! tower-http's [`CorsLayer`] answers the preflights and decorates the answers; this module only
//! decides which requests it sees.

use std::time::Duration;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use tower::{Layer, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Request headers a listed origin may send: credentials, the Content-Range dialect, and the
/// tus and IETF resumable-upload headers.
pub const ALLOWED_HEADERS: [&str; 19] = [
    "authorization",
    "content-type",
    "content-range",
    "content-md5",
    "content-digest",
    "repr-digest",
    "content-disposition",
    "upload-offset",
    "upload-length",
    "upload-metadata",
    "upload-checksum",
    "upload-concat",
    "upload-defer-length",
    "upload-complete",
    "upload-draft-interop-version",
    "tus-resumable",
    "x-http-method-override",
    "x-requested-with",
    "if-match",
];

/// Response headers a listed origin's script may read.
pub const EXPOSED_HEADERS: [&str; 18] = [
    "location",
    "content-location",
    "upload-defer-length",
    "upload-offset",
    "upload-length",
    "upload-metadata",
    "upload-expires",
    "upload-limit",
    "upload-complete",
    "tus-resumable",
    "tus-version",
    "tus-extension",
    "tus-max-size",
    "tus-checksum-algorithm",
    "etag",
    "content-range",
    "content-length",
    "accept-ranges",
];

/// Methods a listed origin may use.
pub const METHODS: [Method; 7] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];

/// An origin as [`parse_origin`] spells it (a header value, compared byte for byte).
pub type Origin = HeaderValue;

/// How long a browser may cache a preflight's answer.
const MAX_AGE: Duration = Duration::from_secs(600);

/// An origin as browsers send it (`scheme://host[:port]`, lowercase), from a command line
/// value; `*`, `null` and anything with a path are refused.
pub fn parse_origin(value: &str) -> Result<Origin, String> {
    let value = value.trim();
    if value == "*" {
        return Err("`*` is not allowed: credentials are, so name each origin".into());
    }
    let origin = value
        .strip_suffix('/')
        .unwrap_or(value)
        .to_ascii_lowercase();
    let Some((scheme, host)) = origin.split_once("://") else {
        return Err(format!(
            "{value:?} is not an origin like https://app.example:8443"
        ));
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:[]_".contains(c));
    if !scheme_ok || !host_ok {
        return Err(format!(
            "{value:?} is not an origin like https://app.example:8443 (no path, no `*`)"
        ));
    }
    HeaderValue::from_str(&origin).map_err(|e| format!("{value:?}: {e}"))
}

/// Whether the request's `Origin` is one of `origins` (exactly, as browsers spell it).
pub fn listed(headers: &HeaderMap, origins: &[HeaderValue]) -> bool {
    headers
        .get(header::ORIGIN)
        .is_some_and(|o| origins.contains(o))
}

/// The layer for the listed `origins` (never empty: without origins no CORS layer is added).
pub fn layer(origins: &[HeaderValue]) -> CorsLayer {
    let names = |list: &[&'static str]| {
        list.iter()
            .map(|h| HeaderName::from_static(h))
            .collect::<Vec<_>>()
    };
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins.iter().cloned()))
        .allow_credentials(true)
        .allow_methods(METHODS.to_vec())
        .allow_headers(names(&ALLOWED_HEADERS))
        .expose_headers(names(&EXPOSED_HEADERS))
        .max_age(MAX_AGE)
}

/// What [`handle`] needs: the listed origins and their layer.
#[derive(Debug, Clone)]
pub struct Cors {
    origins: Vec<HeaderValue>,
    layer: CorsLayer,
}

impl Cors {
    /// CORS for `origins`.
    pub fn new(origins: &[HeaderValue]) -> Self {
        Cors {
            origins: origins.to_vec(),
            layer: layer(origins),
        }
    }
}

/// Sends a listed origin's requests through the CORS layer; every other request passes as if
/// CORS were off (tower-http would add `Allow-Methods`/`Allow-Headers` for any origin).
///
/// tower-http answers every `OPTIONS` itself, so an `OPTIONS` that is not a preflight (tus
/// discovery from a page) goes to the routes, with the CORS headers of a simple request added
/// here.
pub async fn handle(cors: &Cors, req: Request, next: Next) -> Response {
    if !listed(req.headers(), &cors.origins) {
        let mut resp = next.run(req).await;
        resp.headers_mut()
            .append(header::VARY, HeaderValue::from_static("origin"));
        return resp;
    }
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if req.method() == Method::OPTIONS && !preflight {
        let origin = req.headers().get(header::ORIGIN).cloned();
        let mut resp = next.run(req).await;
        let h = resp.headers_mut();
        if let Some(origin) = origin {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        if let Ok(v) = HeaderValue::from_str(&EXPOSED_HEADERS.join(",")) {
            h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, v);
        }
        h.append(header::VARY, HeaderValue::from_static("origin"));
        return resp;
    }
    match cors.layer.layer(next).oneshot(req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::parse_origin;

    #[test]
    fn origins_are_parsed_as_browsers_send_them_and_wildcards_refused() {
        assert_eq!(
            parse_origin("https://App.Example:8443/").unwrap(),
            "https://app.example:8443"
        );
        assert_eq!(
            parse_origin("http://[::1]:3000").unwrap(),
            "http://[::1]:3000"
        );
        for bad in [
            "*",
            "null",
            "app.example",
            "https://",
            "https://a/b",
            "https://a b",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad} was accepted");
        }
    }
}
