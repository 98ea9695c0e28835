//! The `Tus-Resumable` check every tus request but `OPTIONS` passes first.

use axum::extract::FromRequestParts;
use http::request::Parts;

use super::error::{Tus, TusError, VERSION};

/// Proof that the request speaks tus 1.0.0; anything else is `412` with `Tus-Version`.
#[derive(Debug, Clone, Copy)]
pub struct TusResumable;

impl<S: Send + Sync> FromRequestParts<S> for TusResumable {
    type Rejection = Tus;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Tus> {
        match parts.headers.get("tus-resumable").map(|v| v.to_str()) {
            Some(Ok(v)) if v.trim() == VERSION => Ok(TusResumable),
            Some(Ok(v)) => Err(TusError::Version(v.to_string()).into()),
            Some(Err(_)) => Err(TusError::Version("(not ASCII)".into()).into()),
            None => Err(TusError::Version("(none)".into()).into()),
        }
    }
}
