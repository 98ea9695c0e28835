//! Why a command could not be planned or started. The core maps each cause to its own stable
//! code (`exec_denied`, `exec_argument_refused`, `exec_not_found`, `bad_request`, `internal`) in one `From` impl.

/// Every way planning or starting a command can fail.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The policy refuses the request.
    #[error("{0}")]
    Denied(String),
    /// A permitted program got an argument its allow-list rules do not list.
    #[error("{0}")]
    ArgumentRefused(String),
    /// A permitted program is on no folder of the server's PATH.
    #[error("{0}")]
    NotFound(String),
    /// The request itself is malformed (empty argv, NUL bytes, a bad policy text).
    #[error("{0}")]
    BadRequest(String),
    /// The launcher could not be started or did not answer; details for the log only.
    #[error("exec internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ExecError {
    /// The stable code the core answers with for this cause.
    pub fn code(&self) -> &'static str {
        match self {
            ExecError::Denied(_) => "exec_denied",
            ExecError::ArgumentRefused(_) => "exec_argument_refused",
            ExecError::NotFound(_) => "exec_not_found",
            ExecError::BadRequest(_) => "bad_request",
            ExecError::Internal(_) => "internal",
        }
    }

    /// Wraps any error as an internal one.
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ExecError::Internal(e.into())
    }
}

/// Results of this crate.
pub type Result<T, E = ExecError> = std::result::Result<T, E>;
