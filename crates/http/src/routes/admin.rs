//! `/api/v1/admin/users…`: account administration for users with the admin role. Every route
//! answers `403 not_admin` to anyone else; every action is audited by the core.

use axum::Json;
use axum::http::StatusCode;
use ferry_core::model::{QuotaInfo, UploadInfo};
use ferry_core::{AccountChange, AccountSummary, Admin, ExecPolicy, NewAccount, Username};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api_doc::{AdminErrors, AdminJsonErrors, tags::ADMIN};
use crate::auth::Authed;
use crate::error::{ApiError, HttpError};
use crate::extract::{ApiJson, ApiPath, ApiQuery, whole_number};
use crate::routes::me::ExecInfo;

/// An account as an admin sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// The user name.
    #[schema(example = "alice")]
    pub name: String,
    /// Byte quota; `null` is unlimited.
    pub quota: Option<u64>,
    /// Unix seconds of creation.
    pub created: i64,
    /// What the user may run.
    pub exec: ExecInfo,
    /// Whether the user has the admin role.
    pub admin: bool,
}

impl From<AccountSummary> for UserView {
    fn from(a: AccountSummary) -> Self {
        UserView {
            name: a.name.to_string(),
            quota: a.quota,
            created: a.created,
            exec: ExecInfo::new(a.exec, a.exec_max_timeout_secs),
            admin: a.admin,
        }
    }
}

/// Every account.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    /// Sorted by name.
    pub users: Vec<UserView>,
}

/// One account with its space and unfinished uploads.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDetail {
    /// The account.
    pub user: UserView,
    /// Used, reserved and limit.
    pub quota: QuotaInfo,
    /// Unfinished uploads, with their offsets.
    pub uploads: Vec<UploadInfo>,
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// User name: 1–32 of `a-z`, `0-9`, `_`, `-`, not starting with `-`.
    #[schema(example = "alice", pattern = r"^[a-z0-9_][a-z0-9_-]{0,31}$")]
    pub name: String,
    /// First password (at least 8 characters).
    #[schema(min_length = 8)]
    pub password: String,
    /// Byte quota; absent or `null` is unlimited.
    #[serde(default, deserialize_with = "whole_or_null")]
    #[schema(maximum = 9223372036854775807_i64)]
    pub quota: Option<u64>,
    /// Exec policy as `ferry user` spells it: `off` (default), `allow:PROG,…` or `shell`.
    #[serde(default)]
    #[schema(example = "allow:df,du")]
    pub exec: Option<String>,
    /// Give the admin role.
    #[serde(default)]
    pub admin: bool,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// New byte quota; `null` is unlimited.
    #[serde(default, deserialize_with = "present_whole")]
    #[schema(value_type = Option<u64>, maximum = 9223372036854775807_i64)]
    pub quota: Option<Option<u64>>,
    /// New exec policy: `off`, `allow:PROG,…` or `shell`.
    #[serde(default)]
    pub exec: Option<String>,
    /// New ceiling on a command's time limit in seconds; `null` is the server's.
    #[serde(default, deserialize_with = "present_whole")]
    #[schema(value_type = Option<u64>, minimum = 1, maximum = 9223372036854775807_i64)]
    pub exec_max_timeout_secs: Option<Option<u64>>,
    /// Give or take the admin role (never your own).
    #[serde(default)]
    pub admin: Option<bool>,
}

/// A new password set by an admin.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// The new password (at least 8 characters).
    #[schema(min_length = 8)]
    pub password: String,
}

/// Options of remove.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RemoveQuery {
    /// Also delete the home folder and everything in it.
    #[serde(default)]
    pub purge: bool,
}

/// A whole number of bytes or seconds (`5` and `5.0` alike, see [`whole_number`]), or `null`.
fn whole_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    struct Whole(#[serde(deserialize_with = "whole_number")] u64);
    Ok(Option::<Whole>::deserialize(d)?.map(|w| w.0))
}

/// A field that is present, even as `null`: `Some(None)`; an absent one stays `None`.
fn present_whole<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    whole_or_null(d).map(Some)
}

/// A JSON body that must be an object: serde would also read a struct from an array of its
/// fields in order (`[null, null]`), which no client means.
fn object<T: DeserializeOwned>(body: Value) -> Result<T, ApiError> {
    if !body.is_object() {
        return Err(HttpError::BadBody("the JSON body must be an object".into()).into());
    }
    serde_json::from_value(body)
        .map_err(|e| HttpError::BadBody(format!("invalid JSON body: {e}")).into())
}

fn policy(text: &str) -> Result<ExecPolicy, ApiError> {
    text.parse::<ExecPolicy>()
        .map_err(|e| HttpError::BadBody(format!("invalid exec policy: {e}")).into())
}

/// The largest number the spec can state (`int64`): larger quotas are refused, not stored.
fn in_range(field: &str, n: Option<u64>) -> Result<Option<u64>, ApiError> {
    match n {
        Some(v) if v > i64::MAX as u64 => {
            Err(HttpError::BadBody(format!("{field} is larger than {}", i64::MAX)).into())
        }
        other => Ok(other),
    }
}

fn username(name: &str) -> Result<Username, ApiError> {
    Ok(Username::try_from(name)?)
}

async fn admin(auth: &Authed) -> Result<Admin, ApiError> {
    Ok(auth.session.admin().await?)
}

/// List every account (admins only).
#[utoipa::path(
    get, path = "/api/v1/admin/users", operation_id = "admin_list_users", tag = ADMIN,
    responses((status = 200, description = "Every account", body = UserList), AdminErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn list(auth: Authed) -> Result<Json<UserList>, ApiError> {
    let users = admin(&auth).await?.list().await?;
    Ok(Json(UserList {
        users: users.into_iter().map(UserView::from).collect(),
    }))
}

/// Create an account and its home folder (admins only).
#[utoipa::path(
    post, path = "/api/v1/admin/users", operation_id = "admin_add_user", tag = ADMIN,
    request_body = NewUser,
    responses((status = 201, description = "Created", body = UserView), AdminJsonErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn add(
    auth: Authed,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let admin = admin(&auth).await?;
    let req: NewUser = object(body)?;
    let new = NewAccount {
        name: username(&req.name)?,
        password: req.password,
        quota: in_range("quota", req.quota)?,
        exec: req.exec.as_deref().map_or(Ok(ExecPolicy::Off), policy)?,
        admin: req.admin,
    };
    let made = admin.add(new).await?;
    Ok((StatusCode::CREATED, Json(made.into())))
}

/// One account with its space used and its unfinished uploads (admins only).
#[utoipa::path(
    get, path = "/api/v1/admin/users/{name}", operation_id = "admin_get_user", tag = ADMIN,
    params(("name" = String, Path, pattern = r"^[a-z0-9_][a-z0-9_-]{0,31}$", description = "User name")),
    responses((status = 200, description = "The account", body = UserDetail), AdminErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn get(
    auth: Authed,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<UserDetail>, ApiError> {
    let usage = admin(&auth).await?.usage(username(&name)?).await?;
    Ok(Json(UserDetail {
        user: usage.account.into(),
        quota: usage.quota,
        uploads: usage.uploads,
    }))
}

/// Change an account's quota, exec policy or admin role (admins only).
#[utoipa::path(
    patch, path = "/api/v1/admin/users/{name}", operation_id = "admin_update_user", tag = ADMIN,
    params(("name" = String, Path, pattern = r"^[a-z0-9_][a-z0-9_-]{0,31}$", description = "User name")),
    request_body = UserPatch,
    responses((status = 200, description = "The account as changed", body = UserView), AdminJsonErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn update(
    auth: Authed,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<UserView>, ApiError> {
    let admin = admin(&auth).await?;
    let req: UserPatch = object(body)?;
    let max_timeout = match req.exec_max_timeout_secs {
        Some(Some(0)) => {
            return Err(
                HttpError::BadBody("exec_max_timeout_secs must be at least 1".into()).into(),
            );
        }
        Some(secs) => Some(in_range("exec_max_timeout_secs", secs)?),
        None => None,
    };
    let change = AccountChange {
        quota: req.quota.map(|q| in_range("quota", q)).transpose()?,
        exec: req.exec.as_deref().map(policy).transpose()?,
        exec_max_timeout_secs: max_timeout,
        admin: req.admin,
    };
    Ok(Json(admin.change(username(&name)?, change).await?.into()))
}

/// Delete an account, its tokens and, with `purge=true`, its files (admins only; never your
/// own account).
#[utoipa::path(
    delete, path = "/api/v1/admin/users/{name}", operation_id = "admin_remove_user", tag = ADMIN,
    params(("name" = String, Path, pattern = r"^[a-z0-9_][a-z0-9_-]{0,31}$", description = "User name"), RemoveQuery),
    responses((status = 204, description = "Removed"), AdminErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn remove(
    auth: Authed,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<RemoveQuery>,
) -> Result<StatusCode, ApiError> {
    admin(&auth)
        .await?
        .remove(username(&name)?, q.purge)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a new password for an account and revoke its tokens (admins only).
#[utoipa::path(
    put, path = "/api/v1/admin/users/{name}/password", operation_id = "admin_reset_password", tag = ADMIN,
    params(("name" = String, Path, pattern = r"^[a-z0-9_][a-z0-9_-]{0,31}$", description = "User name")),
    request_body = PasswordReset,
    responses((status = 204, description = "Set; the user's tokens are revoked"), AdminJsonErrors),
    security(("basic" = []), ("bearer" = []))
)]
pub async fn reset_password(
    auth: Authed,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<StatusCode, ApiError> {
    let req: PasswordReset = object(body)?;
    admin(&auth)
        .await?
        .reset_password(username(&name)?, req.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
