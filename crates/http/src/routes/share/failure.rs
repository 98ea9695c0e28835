//! Failures on share routes: a page for a browser (`Accept: text/html`) with the status from
//! the one table in [`crate::error`], the usual problem document for anything else.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use ferry_core::Error;

use super::page::{self, SHARE_CSP};
use crate::error::ApiError;

/// A failure on a share route: a page for a browser, a problem document otherwise.
#[derive(Debug)]
pub struct ShareFailure {
    error: ApiError,
    page: Option<String>,
}

/// What a share handler answers.
pub type Answer<T = Response> = Result<T, ShareFailure>;

impl ShareFailure {
    /// `error` on the link `id`, shown as the request asks.
    pub fn new(error: impl Into<ApiError>, req: &HeaderMap, id: &str) -> Self {
        let error = error.into();
        let wants_page = req
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
        let page = wants_page.then(|| failure_page(&error, id));
        ShareFailure { error, page }
    }
}

impl IntoResponse for ShareFailure {
    fn into_response(self) -> Response {
        let Some(html) = self.page else {
            return self.error.into_response();
        };
        let mut resp = html_response(html);
        *resp.status_mut() = self.error.status();
        if let Some(secs) = self.error.problem().retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

fn failure_page(error: &ApiError, id: &str) -> String {
    let (heading, detail) = match error {
        ApiError::Core(Error::SharePasswordRequired) => return page::password_page(id, None),
        ApiError::Core(Error::SharePasswordWrong) => {
            return page::password_page(id, Some("That password is not right. Try again."));
        }
        ApiError::Core(Error::ShareNotFound) => (
            "No such link",
            "This link does not exist. Check that it was copied whole.",
        ),
        ApiError::Core(Error::ShareRevoked) => (
            "This link was revoked",
            "Its owner has withdrawn it; ask them for a new one.",
        ),
        ApiError::Core(Error::ShareExpired) => (
            "This link has expired",
            "It was only valid for a limited time; ask its owner for a new one.",
        ),
        ApiError::Core(Error::ShareExhausted) => (
            "This link has been used up",
            "It has been downloaded as many times as its owner allowed.",
        ),
        ApiError::Core(Error::AuthThrottled { .. }) => (
            "Too many attempts",
            "Too many wrong passwords or unknown links from here; wait a little and try again.",
        ),
        ApiError::Core(Error::NotFound(_)) => ("Not found", "Nothing by that name is shared here."),
        _ => ("Something went wrong", "The link could not be opened."),
    };
    page::error_page(heading, detail)
}

/// A page under the share page's policy.
pub fn html_response(html: String) -> Response {
    let mut resp = Response::new(Body::from(html));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(SHARE_CSP),
    );
    resp
}
