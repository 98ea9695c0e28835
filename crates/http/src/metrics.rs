//! The door's request metrics: `ferry_requests_total{door="http", method, op, code}` and
//! `ferry_request_duration_seconds{door="http", method, op}`, recorded for every request by the
//! door's edge.
//!
//! `op` is the route template axum matched (`/api/v1/files/{*path}`), never the path asked
//! for, so its values are the router's few dozen routes; `unmatched` when no route matched.
//! `code` is the stable code of an error answer (the error table puts it in the response's
//! extensions), `ok` for any other answer below 400, `error` for one the table did not make.
//! The duration runs to the response head: a download's body is counted in bytes sent, not
//! here. [`crate::edge`] records only when a recorder is installed.

use std::collections::HashSet;
use std::sync::{OnceLock, PoisonError, RwLock};
use std::time::Instant;

use axum::extract::MatchedPath;
use axum::response::Response;
use ferry_metrics::catalog::{REQUEST_DURATION, REQUESTS};
use ferry_metrics::metrics;
use http::Method;

use crate::error::ErrorCode;

/// Route templates kept as labels; more would mean something other than the router made them.
const MAX_ROUTES: usize = 256;

/// Counts and times one request that started at `started`, from its answer (whose
/// extensions carry the route template, see [`crate::edge::RouteLabel`]).
pub(crate) fn record(method: &Method, started: Instant, resp: &Response) {
    let op = resp
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| route(p.as_str()));
    let method = self::method(method);
    let code = match resp.extensions().get::<ErrorCode>() {
        Some(ErrorCode(code)) => code,
        None if resp.status().as_u16() >= 400 => "error",
        None => "ok",
    };
    metrics::counter!(REQUESTS, "door" => "http", "method" => method, "op" => op, "code" => code)
        .increment(1);
    metrics::histogram!(REQUEST_DURATION, "door" => "http", "method" => method, "op" => op)
        .record(started.elapsed().as_secs_f64());
}

/// A route template as a `'static` label, so no request allocates one: each template the
/// router has is copied once and kept for the life of the process.
fn route(template: &str) -> &'static str {
    static ROUTES: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();
    let routes = ROUTES.get_or_init(Default::default);
    if let Some(known) = routes
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(template)
    {
        return known;
    }
    let mut routes = routes.write().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = routes.get(template) {
        return known;
    }
    if routes.len() >= MAX_ROUTES {
        return "other";
    }
    let kept: &'static str = Box::leak(template.into());
    routes.insert(kept);
    kept
}

/// The method as a label: the standard ones by name, any extension method as `other`.
fn method(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_template_is_kept_once() {
        let a = route("/api/v1/files/{*path}");
        let b = route(&String::from("/api/v1/files/{*path}"));
        assert!(std::ptr::eq(a, b));
    }

    #[test]
    fn extension_methods_share_one_label() {
        assert_eq!(method(&Method::from_bytes(b"BREW").unwrap()), "other");
        assert_eq!(method(&Method::PATCH), "PATCH");
    }
}
