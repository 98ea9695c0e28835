//! The download cookie: a read-only capability that lets a plain `<a href download>` link
//! fetch a file, so the browser's own download manager performs it and can resume it with
//! `Range` / `If-Range` (a link cannot carry an `Authorization` header).
//!
//! `POST /api/v1/login {"cookie": true}` sets the login's bearer token as `ferry_download`,
//! scoped to `Path=/api/v1/files`, `HttpOnly`, `SameSite=Strict`, for the token's lifetime;
//! logout clears it. [`Authed`](crate::auth::Authed) accepts it only for `GET` and `HEAD`
//! under `/api/v1/files/` and only when the request has no `Authorization` header; every
//! other route ignores it. So there is nothing to forge across sites: `SameSite=Strict` keeps
//! other sites' requests from carrying it, and nothing it reaches changes state. It is the
//! same token as the bearer one, checked the same way, so logout, expiry and a password change
//! revoke it too.

use http::header::{COOKIE, HeaderValue};
use http::{HeaderMap, Method};

/// The cookie's name.
pub const NAME: &str = "ferry_download";

/// The only path prefix the browser sends it to (and the server accepts it under).
pub const PATH: &str = "/api/v1/files";

/// `Set-Cookie` carrying `token` for `max_age` seconds.
///
/// No `Secure`: the default listener is plain HTTP (localhost, or a LAN address), and
/// browsers refuse a `Secure` cookie set over plain HTTP outside localhost, so the page's
/// links would stop working. `HttpOnly` and `SameSite=Strict` hold either way.
pub fn set(token: &str, max_age: u64) -> HeaderValue {
    let value =
        format!("{NAME}={token}; Path={PATH}; HttpOnly; SameSite=Strict; Max-Age={max_age}");
    // A token is URL-safe base64, always a valid header value; clearing is the safe fallback.
    HeaderValue::from_str(&value).unwrap_or_else(|_| clear())
}

/// The same `Set-Cookie` with `Secure` added, for a server that speaks HTTPS (where the
/// reason above for leaving it out does not hold). A value that already has it, or is not
/// the download cookie, is returned unchanged.
pub fn secure(value: &HeaderValue) -> HeaderValue {
    let Ok(text) = value.to_str() else {
        return value.clone();
    };
    let ours = text.starts_with(&format!("{NAME}="));
    if !ours
        || text
            .split(';')
            .any(|a| a.trim().eq_ignore_ascii_case("secure"))
    {
        return value.clone();
    }
    HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or_else(|_| value.clone())
}

/// `Set-Cookie` that deletes it.
pub fn clear() -> HeaderValue {
    HeaderValue::from_static(
        "ferry_download=; Path=/api/v1/files; HttpOnly; SameSite=Strict; Max-Age=0",
    )
}

/// Whether a request with this method and path may authenticate with the cookie: reads of
/// files only.
pub fn applies(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && path
            .strip_prefix(PATH)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The cookie's value among the request's `Cookie` headers, if present.
pub fn read(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == NAME)
        .map(|(_, value)| value.trim_matches('"'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_adds_the_attribute_once_and_only_to_the_download_cookie() {
        let set = secure(&set("tok", 60));
        assert!(set.to_str().unwrap().ends_with("; Secure"));
        assert_eq!(secure(&set), set);
        assert!(secure(&clear()).to_str().unwrap().ends_with("; Secure"));
        let other = HeaderValue::from_static("other=1; Path=/");
        assert_eq!(secure(&other), other);
    }

    #[test]
    fn only_reads_under_the_files_route_apply() {
        assert!(applies(&Method::GET, "/api/v1/files/a.txt"));
        assert!(applies(&Method::HEAD, "/api/v1/files/d/a.txt"));
        assert!(!applies(&Method::PUT, "/api/v1/files/a.txt"));
        assert!(!applies(&Method::DELETE, "/api/v1/files/a.txt"));
        assert!(!applies(&Method::POST, "/api/v1/files/a.txt"));
        assert!(!applies(&Method::GET, "/api/v1/files"));
        assert!(!applies(&Method::GET, "/api/v1/filesystem/a"));
        assert!(!applies(&Method::GET, "/api/v1/dirs/"));
        assert!(!applies(&Method::GET, "/api/v1/uploads"));
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        assert_eq!(read(&h), None);
        h.append(
            COOKIE,
            HeaderValue::from_static("a=1; ferry_download=tok; b=2"),
        );
        assert_eq!(read(&h), Some("tok"));
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("x_ferry_download=no"));
        h.append(COOKIE, HeaderValue::from_static("ferry_download=yes"));
        assert_eq!(read(&h), Some("yes"));
    }

    #[test]
    fn set_and_clear_carry_the_same_name_and_path() {
        assert_eq!(
            set("abc", 60),
            "ferry_download=abc; Path=/api/v1/files; HttpOnly; SameSite=Strict; Max-Age=60"
        );
        let cleared = clear();
        let cleared = cleared.to_str().unwrap();
        assert!(cleared.starts_with("ferry_download=; Path=/api/v1/files;"));
        assert!(cleared.ends_with("Max-Age=0"));
    }
}
