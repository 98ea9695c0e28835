//! The `Tus-Resumable` check every tus request but `OPTIONS` passes first, and the header's
//! one description in the spec (a handler lists it as `params(TusResumable)`).

use axum::extract::FromRequestParts;
use http::request::Parts;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ObjectBuilder, Required, Type};

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

impl utoipa::IntoParams for TusResumable {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^1\.0\.0$"));
        vec![
            ParameterBuilder::new()
                .name("Tus-Resumable")
                .parameter_in(ParameterIn::Header)
                .required(Required::True)
                .description(Some("`1.0.0`"))
                .schema(Some(schema))
                .build(),
        ]
    }
}
