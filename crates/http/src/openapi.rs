//! The OpenAPI description, built from the handlers' `#[utoipa::path]` attributes.
//! `ferry openapi` prints it as YAML; the committed `openapi.yaml` is checked against it.

use std::collections::BTreeMap;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::routes;

/// Tag of the file routes.
pub const FILES: &str = "files";
/// Tag of folder, move and quota routes.
pub const DIRS: &str = "folders";
/// Tag of the resumable upload routes.
pub const UPLOADS: &str = "uploads";
/// Tag of remote command execution.
pub const EXEC: &str = "exec";
/// Tag of login and logout.
pub const AUTH: &str = "auth";
/// Tag of routes without authentication.
pub const PUBLIC: &str = "public";

/// A body of raw bytes.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(pub Vec<u8>);

/// The error responses an authenticated route can give, each an RFC 9457 problem with a
/// stable `code`.
#[derive(Debug)]
pub struct Errors;

impl utoipa::IntoResponses for Errors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        [
            ("400", "Malformed request: bad path, header, range or JSON (`code` says which)"),
            ("401", "No or wrong credentials (`not_authenticated`, `auth_failed`, `token_invalid`)"),
            ("403", "Path leaves the home folder, the home itself, a special file, or a command the exec policy refuses (`exec_denied`)"),
            ("404", "No such file, folder, upload or program (`exec_not_found`)"),
            ("408", "The request body stalled past the server's body timeout (`body_timeout`)"),
            ("409", "Conflicts with the current state (`already_exists`, `offset_mismatch`, `upload_busy`, …)"),
            ("413", "Too large: quota, declared size, or chunk limit"),
            ("422", "The received data does not match its MD5 (`checksum_mismatch`); nothing was kept"),
            ("431", "The request head is larger than the server accepts (`header_too_large`)"),
            ("429", "Too many failed logins (`auth_throttled`, with `Retry-After`) or a server limit"),
            ("500", "Internal error; details are in the server log"),
            ("507", "The server's disk is full; nothing partial was committed"),
        ]
        .into_iter()
        .map(|(status, description)| (status.to_string(), problem(description)))
        .collect()
    }
}

/// One problem response.
pub fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

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
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Bearer tokens for the web page and generated clients; who am I"),
        (name = "files", description = "Download, whole-body upload, delete"),
        (name = "folders", description = "List, create, stat, move, quota"),
        (name = "uploads", description = "Resumable uploads driven by Content-Range"),
        (name = "exec", description = "Commands run on the server under the user's exec policy"),
        (name = "public", description = "Routes without authentication"),
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
