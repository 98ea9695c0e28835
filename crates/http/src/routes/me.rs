//! `GET /api/v1/me`: the logged-in user's own account, so the web page knows what to offer
//! (the exec console only when the policy allows something).

use axum::Json;
use ferry_core::ExecPolicy;
use ferry_core::model::QuotaInfo;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api_doc::{AccountReadErrors, tags::AUTH};
use crate::auth::Authed;
use crate::error::ApiError;

/// The logged-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The user name.
    #[schema(example = "alice")]
    pub user: String,
    /// What the user may run on this server.
    pub exec: ExecInfo,
    /// Used, reserved and limit.
    pub quota: QuotaInfo,
    /// Whether the user has the admin role (the `/api/v1/admin/…` routes).
    pub admin: bool,
}

/// An exec policy as clients see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExecInfo {
    /// `off` (nothing; also when the server has exec turned off), `allow` (the listed
    /// programs, argv only) or `shell` (any `sh -c` command line).
    pub mode: ExecMode,
    /// The allowed programs under `allow`; empty otherwise.
    #[schema(example = json!(["df", "du"]))]
    pub programs: Vec<String>,
    /// The account's ceiling on a command's wall-clock limit in seconds, if it has one.
    pub max_timeout_secs: Option<u64>,
}

/// The kinds of exec policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExecMode {
    /// Nothing may run.
    Off,
    /// Only the listed programs.
    Allow,
    /// Any shell command line.
    Shell,
}

/// Who am I: the user, what they may run, their quota.
#[utoipa::path(
    get, path = "/api/v1/me", operation_id = "get_me", tag = AUTH,
    responses((status = 200, description = "The logged-in user", body = Me), AccountReadErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn me(auth: Authed) -> Result<Json<Me>, ApiError> {
    let profile = auth.session.profile().await?;
    Ok(Json(Me {
        user: profile.user.to_string(),
        exec: ExecInfo::new(profile.exec, profile.exec_max_timeout_secs),
        quota: profile.quota,
        admin: profile.admin,
    }))
}

impl ExecInfo {
    /// A policy and the account's ceiling as clients see them.
    pub fn new(policy: ExecPolicy, max_timeout_secs: Option<u64>) -> Self {
        let (mode, programs) = match policy {
            ExecPolicy::Off => (ExecMode::Off, Vec::new()),
            ExecPolicy::Allow(list) => (ExecMode::Allow, list),
            ExecPolicy::Shell => (ExecMode::Shell, Vec::new()),
        };
        ExecInfo {
            mode,
            programs,
            max_timeout_secs,
        }
    }
}
