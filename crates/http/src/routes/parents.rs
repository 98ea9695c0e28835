//! `?parents=false`: the query an upload route takes to refuse missing parent folders.
//!
//! Uploads create missing parent folders by default (the core decides, see
//! `ferry_core::CreateOptions`); the query only carries a client's wish for the strict
//! behaviour, spelled as on `POST /api/v1/dirs/{path}`.

use ferry_core::CreateOptions;
use serde::Deserialize;
use utoipa::IntoParams;

/// Options of an upload's target folder.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ParentsQuery {
    /// Create missing parent folders of the target, as `mkdir -p` does (default true);
    /// `false` answers `404 not_found` for a missing folder instead.
    pub parents: Option<bool>,
}

impl ParentsQuery {
    /// The core's options for this query and `overwrite`.
    pub fn options(&self, overwrite: bool) -> CreateOptions {
        CreateOptions {
            overwrite,
            parents: self.parents.unwrap_or(true),
        }
    }
}
