//! Routes without authentication: health (the web page is in [`super::web`]; `/openapi.json`
//! and `/docs` are served by the vendored Swagger UI, mounted in `app()`).

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api_doc::{PublicErrors, tags::PUBLIC};

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

/// Liveness: `200 {"status":"ok"}` while the server accepts requests.
#[utoipa::path(
    get, path = "/healthz", operation_id = "get_health", tag = PUBLIC,
    responses((status = 200, description = "Serving", body = Health), PublicErrors),
    security(())
)]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}
