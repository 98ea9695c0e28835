//! `GET /api/v1/search`: entries found by name below a folder, a page at a time. The walk,
//! its order and its budget are the core's ([`ferry_core::Session::search`]).

use axum::Json;
use ferry_core::model::SearchPage;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api_doc::{SearchErrors, tags::DIRS};
use crate::auth::Authed;
use crate::error::ApiError;
use crate::extract::ApiQuery;

/// What to find, where, and which page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Part of the name to find, any case, spaces included (1–255 characters, no `/`).
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^/\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub q: String,
    /// The folder to search below (default: the home).
    #[param(pattern = r"^[^\u0000-\u001f\u007f-\u009f\\]*$")]
    pub under: Option<String>,
    /// The `next` of the previous page.
    #[param(min_length = 1, pattern = r"^[^\u0000-\u001f\u007f-\u009f\\]*$")]
    pub cursor: Option<String>,
    /// Matches per page (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
}

/// Find files and folders by name below a folder: the entries whose name contains `q`,
/// ignoring case, each folder's entries by name and a folder's contents right after it.
///
/// One request visits a bounded number of entries for a bounded time; a page cut short by
/// that budget says `truncated: true`, and `next` continues either way. Symlinks are found
/// but not entered.
#[utoipa::path(
    get, path = "/api/v1/search", operation_id = "search", tag = DIRS,
    params(SearchQuery),
    responses((status = 200, description = "One page of matches", body = SearchPage), SearchErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn search(
    auth: Authed,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<SearchPage>, ApiError> {
    if let Some(l) = q.limit.filter(|l| !(1..=1000).contains(l)) {
        return Err(
            ferry_core::Error::BadRequest(format!("limit must be 1 to 1000, not {l}")).into(),
        );
    }
    let page = auth
        .session
        .search(q.under.as_deref(), &q.q, q.cursor.as_deref(), q.limit)
        .await?;
    Ok(Json(page))
}
