//! The OpenAPI description, assembled from the handlers' `#[utoipa::path]` attributes, the
//! shared pieces in [`crate::api_doc`] and the security schemes below. `ferry openapi` prints
//! it as YAML; the committed `openapi.yaml` is checked against it. (~310 lines: the list of
//! operations, and the YAML 1.1 quoting with its tests, which only this document needs.)

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api_doc::optional_body::OptionalBodies;
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
        description = "Files in private home folders: resumable, MD5-verified uploads (Content-Range, tus 1.0 and the IETF resumable-upload draft), \
                       Range downloads, folder operations and quotas, and commands under a per-user \
                       exec policy. Every error is an RFC 9457 \
                       problem with a stable `code`, the same as on Ferry's TCP door.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0")
    ),
    servers((url = "/", description = "The server that serves this document (`/openapi.json`)")),
    paths(
        routes::session::login,
        routes::session::logout,
        routes::me::me,
        routes::password::change,
        routes::admin::list,
        routes::admin::add,
        routes::admin::get,
        routes::admin::update,
        routes::admin::remove,
        routes::admin::reset_password,
        routes::files::zip_home,
        routes::files::download,
        routes::files::head,
        routes::files::put::put,
        routes::files::delete,
        routes::dirs::list_home,
        routes::dirs::list,
        routes::dirs::mkdir,
        routes::dirs::stat,
        routes::dirs::move_entry,
        routes::dirs::quota,
        routes::search::search,
        routes::uploads::create,
        routes::uploads::list,
        routes::uploads::chunk,
        routes::uploads::status,
        routes::uploads::offset,
        routes::uploads::cancel,
        routes::exec::exec,
        routes::shares::create,
        routes::shares::list,
        routes::shares::revoke,
        routes::share::page,
        routes::share::unlock,
        routes::share::info,
        routes::share::list,
        routes::share::files::download,
        routes::share::files::download_head,
        routes::share::files::file,
        routes::share::files::file_head,
        routes::share::files::upload,
        routes::share::files::zip_all,
        routes::public::healthz,
        routes::tus::options::options,
        routes::tus::create::create,
        routes::tus::head::head,
        routes::tus::patch::patch,
        routes::tus::delete::delete,
        routes::tus::concat::head,
        routes::tus::concat::patch,
        routes::tus::concat::delete,
        routes::resumable::options::options,
        routes::resumable::create::create,
        routes::resumable::head::head,
        routes::resumable::append::patch,
        routes::resumable::delete::delete,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&Security, &OptionalBodies),
    tags(
        (name = tags::AUTH, description = "Bearer tokens for the web page and generated clients; who am I"),
        (name = tags::FILES, description = "Download, whole-body upload, delete"),
        (name = tags::DIRS, description = "List, create, stat, move, quota, search by name"),
        (name = tags::UPLOADS, description = "Resumable uploads driven by Content-Range"),
        (name = tags::EXEC, description = "Commands run on the server under the user's exec policy"),
        (name = tags::ADMIN, description = "Account administration, for users with the admin role; every action is audited"),
        (name = tags::SHARES, description = "Your share links: create, list, revoke"),
        (name = tags::SHARED, description = "Share links, public: the page, downloads, the zip of a folder, drop-box uploads"),
        (name = tags::PUBLIC, description = "Routes without authentication"),
        (name = tags::TUS, description = "tus 1.0.0 resumable uploads (creation, creation-with-upload, expiration, checksum, termination, concatenation) over the same upload sessions as /api/v1/uploads"),
        (name = tags::RESUMABLE, description = "Resumable uploads as the IETF draft spells them (draft-ietf-httpbis-resumable-upload, interop versions 5 to 8), over the same upload sessions as /api/v1/uploads and tus"),
    )
)]
pub struct ApiDoc;

/// The spec as YAML, exactly as committed in `openapi.yaml`.
pub fn yaml() -> String {
    let yaml = ApiDoc::openapi()
        .to_yaml()
        .expect("the OpenAPI document serialises");
    quote_yaml11_booleans(&yaml)
}

/// Plain scalars that a YAML 1.1 reader (PyYAML, many generators) takes for booleans but
/// YAML 1.2 does not, so serde_norway leaves them plain. (`true`, `False`… are booleans in
/// both: a real boolean is written plain and a string spelled so is quoted already.)
const YAML11_BOOLEANS: [&str; 16] = [
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
    "OFF",
];

/// Single-quotes every plain key or value that YAML 1.1 would read as a boolean (the enum
/// value `off`), leaving block scalars' text alone.
///
/// Hand-written because serde_norway (what utoipa's `to_yaml` uses) chooses the plain style
/// for any string that YAML 1.2 reads as a string and has no option for YAML 1.1; yaml-rust2's
/// emitter leaves `y`/`n` plain and would rewrite every multi-line description. The input is
/// serde_norway's block-style output, where a plain scalar never spans lines; the tests check
/// that the result parses to the same document.
fn quote_yaml11_booleans(yaml: &str) -> String {
    let mut out = String::with_capacity(yaml.len() + 64);
    // While inside a block scalar (`|-`, `>`): the column its lines are indented past.
    let mut block: Option<usize> = None;
    for line in yaml.split_inclusive('\n') {
        let text = line.trim_end_matches('\n');
        let indent = text.len() - text.trim_start_matches(' ').len();
        if let Some(column) = block {
            if text.trim().is_empty() || indent > column {
                out.push_str(line);
                continue;
            }
            block = None;
        }
        let mut column = indent;
        let mut rest = &text[indent..];
        while let Some(item) = rest.strip_prefix("- ") {
            rest = item;
            column += 2;
        }
        out.push_str(&text[..column]);
        let (key, value) = split_entry(rest);
        let in_sequence = column > indent;
        if let Some(key) = key {
            out.push_str(&quoted_if_boolean(key));
            out.push(':');
            if !value.is_empty() {
                out.push(' ');
            }
        }
        if is_block_indicator(value) {
            // A key's block is indented past the key; an item's past its dash.
            block = Some(if key.is_none() && in_sequence {
                column - 2
            } else {
                column
            });
        }
        out.push_str(&quoted_if_boolean(value));
        out.push_str(&line[text.len()..]);
    }
    out
}

/// `key: value` as (`Some(key)`, value), `key:` as (`Some(key)`, ""), a bare scalar as
/// (`None`, it). A key is plain (no `: ` inside) or quoted.
fn split_entry(rest: &str) -> (Option<&str>, &str) {
    let key_end = match rest.chars().next() {
        Some(q @ ('\'' | '"')) => quoted_end(rest, q),
        _ => rest
            .find(": ")
            .or_else(|| rest.ends_with(':').then(|| rest.len() - 1)),
    };
    match key_end {
        Some(end) if rest[end..].starts_with(": ") => (Some(&rest[..end]), &rest[end + 2..]),
        Some(end) if &rest[end..] == ":" => (Some(&rest[..end]), ""),
        _ => (None, rest),
    }
}

/// The byte just past a quoted scalar that opens `text` with `quote`.
fn quoted_end(text: &str, quote: char) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == '"' => i += 1,
            b'\'' if quote == '\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
            b if b == quote as u8 => return Some(i + 1),
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_block_indicator(value: &str) -> bool {
    let mut chars = value.chars();
    matches!(chars.next(), Some('|' | '>')) && chars.all(|c| matches!(c, '-' | '+' | '0'..='9'))
}

fn quoted_if_boolean(scalar: &str) -> std::borrow::Cow<'_, str> {
    if YAML11_BOOLEANS.contains(&scalar) {
        format!("'{scalar}'").into()
    } else {
        scalar.into()
    }
}

#[cfg(test)]
mod tests {
    use super::quote_yaml11_booleans;

    #[test]
    fn yaml11_booleans_are_quoted_as_keys_values_and_items_but_not_inside_block_scalars() {
        let input = "\
enum:
- off
- allow
- 'on'
mode: no
strict: false
on: 1
y:
  - n
text: |-
  - off
  yes
- description: |-
    off
  other: Off
plain: offset
quoted: 'a: off'
";
        let want = "\
enum:
- 'off'
- allow
- 'on'
mode: 'no'
strict: false
'on': 1
'y':
  - 'n'
text: |-
  - off
  yes
- description: |-
    off
  other: 'Off'
plain: offset
quoted: 'a: off'
";
        assert_eq!(quote_yaml11_booleans(input), want);
    }

    /// The quoting changes how the spec is spelled, never what it says: read back as YAML 1.2
    /// it is the document utoipa built, and no YAML 1.1 boolean is left plain.
    #[test]
    fn generated_yaml_reads_back_as_the_document() {
        use utoipa::OpenApi;
        let yaml = super::yaml();
        let read: serde_json::Value = serde_norway::from_str(&yaml).expect("the YAML parses");
        let built = serde_json::to_value(super::ApiDoc::openapi()).expect("serialises");
        assert_eq!(read, built);
        assert!(
            yaml.contains("- 'off'\n"),
            "the ExecMode value `off` is quoted"
        );
    }

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
