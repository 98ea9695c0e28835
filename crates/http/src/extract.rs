//! axum's extractors with their rejections turned into Ferry problems, so a malformed JSON
//! body or query string gets the same `application/problem+json` shape as every other error.

use axum::extract::path::ErrorKind;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;

use axum::extract::Request;

use crate::error::{ApiError, HttpError};
use crate::state::AppState;

/// A JSON body, at most `--http-max-json` bytes.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T> FromRequest<AppState> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        // A body announced as too large is refused before any of it is read, and before a
        // client that sent `Expect: 100-continue` is told to go on; one that does not say
        // its length is cut off at the cap as it arrives (`DefaultBodyLimit`).
        let announced = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if announced.is_some_and(|n| n > state.limits.max_json as u64) {
            return Err(HttpError::BodyTooLarge.into());
        }
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(value))
    }
}

/// A query string, refused whole (`bad_request`) when a key or value does not decode to UTF-8.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        utf8_query(parts.uri.query())?;
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(ApiQuery(value))
    }
}

/// Refuses a query string with a key or value whose percent-escapes do not decode to UTF-8
/// (`?path=/a%ff`). The form decoder axum uses replaces such bytes with U+FFFD, which would
/// quietly name another file (`/a\u{FFFD}`) than the one the client spelled.
pub fn utf8_query(query: Option<&str>) -> Result<(), ApiError> {
    let Some(query) = query else { return Ok(()) };
    let bad = query
        .split('&')
        .flat_map(|pair| pair.split('='))
        .any(|piece| {
            percent_encoding::percent_decode_str(piece)
                .decode_utf8()
                .is_err()
        });
    if bad {
        return Err(HttpError::BadBody(
            "invalid query string: its percent-escapes do not decode to UTF-8".into(),
        )
        .into());
    }
    Ok(())
}

/// Path parameters.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        // axum reports a body past `DefaultBodyLimit` as a 413 rejection; it is too large,
        // not malformed.
        if r.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
            return HttpError::BodyTooLarge.into();
        }
        HttpError::BadBody(format!("invalid JSON body: {}", r.body_text())).into()
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        HttpError::BadBody(format!("invalid query string: {}", r.body_text())).into()
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        // Percent-escapes that do not decode to UTF-8 (`%ff`, overlong `%c0%ae`) spell no name
        // a home can hold: the same `invalid_path` as any other name no file can have.
        if let PathRejection::FailedToDeserializePathParams(e) = &r
            && matches!(e.kind(), ErrorKind::InvalidUtf8InPathParam { .. })
        {
            let why = "its percent-escapes do not decode to UTF-8";
            return ferry_core::Error::InvalidPath(why.into()).into();
        }
        HttpError::BadBody(format!("invalid path: {}", r.body_text())).into()
    }
}

/// A JSON number that is a whole, non-negative value: `5` and `5.0` alike. JSON Schema's
/// `integer` admits `5.0`, and generated clients in some languages send numbers that way.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    use serde::Deserialize;
    let n = serde_json::Number::deserialize(d)?;
    if let Some(v) = n.as_u64() {
        return Ok(v);
    }
    match n.as_f64() {
        Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 9.007_199_254_740_992e15 => Ok(f as u64),
        _ => Err(serde::de::Error::custom(format!(
            "expected a whole number of bytes, got {n}"
        ))),
    }
}
