//! What the service counts: credential checks, the life of uploads, refused commands and the
//! limits that refuse requests (see `ferry_metrics::catalog` for the names and their help).
//!
//! Each event is counted here, once, whichever door caused it. Labels are `'static`: a login
//! method, a stable error code, a limit's name. Every function is a no-op until a recorder is
//! installed, and costs one atomic load then.

use ferry_metrics::catalog::{
    EXEC_RUNS, LIMIT_REFUSALS, LOGINS, UPLOAD_COMMITTED_BYTES, UPLOAD_RECEIVED_BYTES,
    UPLOAD_RESERVED_BYTES, UPLOADS_COMMITTED, UPLOADS_CREATED, UPLOADS_FAILED, UPLOADS_IN_FLIGHT,
};
use ferry_metrics::metrics;

use super::Ferry;
use crate::{Error, Result};

/// How a client proved who it is (the `method` label of `ferry_logins_total`).
#[derive(Debug, Clone, Copy)]
pub(super) enum LoginMethod {
    /// SCRAM over the TCP door.
    Scram,
    /// A user name and password (HTTP Basic, `POST /api/v1/login`).
    Password,
    /// A bearer token.
    Token,
}

/// A credential check ended, failing with `error` or not.
pub(super) fn login(method: LoginMethod, error: Option<&Error>) {
    if !ferry_metrics::enabled() {
        return;
    }
    let method = match method {
        LoginMethod::Scram => "scram",
        LoginMethod::Password => "password",
        LoginMethod::Token => "token",
    };
    let result = error.map_or("ok", Error::code);
    metrics::counter!(LOGINS, "method" => method, "result" => result).increment(1);
}

/// A limit refused a request; `limit` names it as the README's limits do.
pub(super) fn limit_refused(limit: &'static str) {
    if ferry_metrics::enabled() {
        metrics::counter!(LIMIT_REFUSALS, "limit" => limit).increment(1);
    }
}

/// The limit behind an error, for errors that are a limit's refusal.
pub(super) fn limit_of(e: &Error) -> Option<&'static str> {
    match e {
        Error::AuthThrottled { .. } => Some("login_throttle"),
        Error::QuotaExceeded { .. } => Some("quota"),
        Error::UploadTooLarge { .. } => Some("max_upload_size"),
        _ => None,
    }
}

/// Counts `e` when it is a limit's refusal (see [`limit_of`]).
pub(super) fn refused_by_limit(e: &Error) {
    if let Some(limit) = limit_of(e) {
        limit_refused(limit);
    }
}

/// An upload of `size` bytes was created: its quota is reserved.
pub(super) fn upload_created(size: u64) {
    metrics::counter!(UPLOADS_CREATED).increment(1);
    in_flight(1.0, size as f64);
}

/// An upload of `size` bytes was committed into a file.
pub(super) fn upload_committed(size: u64) {
    metrics::counter!(UPLOADS_COMMITTED).increment(1);
    metrics::counter!(UPLOAD_COMMITTED_BYTES).increment(size);
    in_flight(-1.0, -(size as f64));
}

/// An upload of `size` bytes ended without a file, for the reason `code`.
pub(super) fn upload_failed(size: u64, code: &'static str) {
    if ferry_metrics::enabled() {
        metrics::counter!(UPLOADS_FAILED, "code" => code).increment(1);
    }
    in_flight(-1.0, -(size as f64));
}

/// `bytes` were accepted into an upload.
pub(super) fn upload_received(bytes: u64) {
    if bytes > 0 {
        metrics::counter!(UPLOAD_RECEIVED_BYTES).increment(bytes);
    }
}

fn in_flight(uploads: f64, bytes: f64) {
    metrics::gauge!(UPLOADS_IN_FLIGHT).increment(uploads);
    metrics::gauge!(UPLOAD_RESERVED_BYTES).increment(bytes);
}

/// A command was refused before it started.
pub(super) fn exec_refused(e: &Error) {
    if ferry_metrics::enabled() {
        metrics::counter!(EXEC_RUNS, "result" => e.code()).increment(1);
    }
}

impl Ferry {
    /// Sets the uploads-in-flight gauges from the unfinished uploads the store holds, so a
    /// restarted server counts those of earlier runs too. Servers call it once at start, after
    /// installing a recorder and before serving.
    pub async fn count_unfinished_uploads(&self) -> Result<()> {
        let (mut uploads, mut bytes) = (0u64, 0u64);
        for account in self.inner.meta.accounts().await? {
            for record in self.inner.meta.uploads_of(&account.name).await? {
                uploads += 1;
                bytes += record.size;
            }
        }
        metrics::gauge!(UPLOADS_IN_FLIGHT).set(uploads as f64);
        metrics::gauge!(UPLOAD_RESERVED_BYTES).set(bytes as f64);
        Ok(())
    }
}
