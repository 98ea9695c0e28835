//! The OpenAPI description, assembled from the handlers' `#[utoipa::path]` attributes, the
//! shared pieces in [`crate::api_doc`] and the security schemes below. `ferry openapi` prints
//! it as YAML; the committed `openapi.yaml` is checked against it.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api_doc::tags;
use crate::routes;

struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from POST /api/v1/login"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "download_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::cookie::NAME,
                "The token of POST /api/v1/login {\"cookie\": true}, as a cookie. Only GET and \
                 HEAD of /api/v1/files/{path} accept it, and only without an Authorization header.",
            ))),
        );
    }
}

/// Ferry's HTTP API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Ferry",
        description = "Files in private home folders: resumable, MD5-verified uploads (Content-Range), \
                       Range downloads, folder operations and quotas, and commands under a per-user \
                       exec policy. Every error is an RFC 9457 \
                       problem with a stable `code`, the same as on Ferry's TCP door.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        routes::session::login,
        routes::session::logout,
        routes::me::me,
        routes::files::download,
        routes::files::head,
        routes::files::put,
        routes::files::delete,
        routes::dirs::list_home,
        routes::dirs::list,
        routes::dirs::mkdir,
        routes::dirs::stat,
        routes::dirs::move_entry,
        routes::dirs::quota,
        routes::uploads::create,
        routes::uploads::list,
        routes::uploads::chunk,
        routes::uploads::status,
        routes::uploads::offset,
        routes::uploads::cancel,
        routes::exec::exec,
        routes::public::healthz,
        routes::tus::options::options,
        routes::tus::create::create,
        routes::tus::head::head,
        routes::tus::patch::patch,
        routes::tus::delete::delete,
        routes::tus::concat::head,
        routes::tus::concat::patch,
        routes::tus::concat::delete,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&Security),
    tags(
        (name = tags::AUTH, description = "Bearer tokens for the web page and generated clients; who am I"),
        (name = tags::FILES, description = "Download, whole-body upload, delete"),
        (name = tags::DIRS, description = "List, create, stat, move, quota"),
        (name = tags::UPLOADS, description = "Resumable uploads driven by Content-Range"),
        (name = tags::EXEC, description = "Commands run on the server under the user's exec policy"),
        (name = tags::PUBLIC, description = "Routes without authentication"),
        (name = tags::TUS, description = "tus 1.0.0 resumable uploads (creation, creation-with-upload, expiration, checksum, termination, concatenation) over the same upload sessions as /api/v1/uploads"),
    )
)]
pub struct ApiDoc;

/// The spec as YAML, exactly as committed in `openapi.yaml`.
pub fn yaml() -> String {
    ApiDoc::openapi()
        .to_yaml()
        .expect("the OpenAPI document serialises")
}

#[cfg(test)]
mod tests {
    /// `openapi.yaml` is generated, never hand-edited: this fails when the code and the
    /// committed file disagree.
    #[test]
    fn committed_openapi_yaml_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.yaml");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == super::yaml(),
            "openapi.yaml is stale: regenerate it with `cargo run -q -- openapi > openapi.yaml`"
        );
    }
}
