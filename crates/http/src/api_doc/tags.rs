//! The tags that group operations in the spec. Each handler names one in its
//! `#[utoipa::path]`; [`crate::openapi`] describes them, in this order.

/// Tag of login and logout, and the user's own account.
pub const AUTH: &str = "auth";
/// Tag of the file routes.
pub const FILES: &str = "files";
/// Tag of folder, move and quota routes.
pub const DIRS: &str = "folders";
/// Tag of the resumable upload routes.
pub const UPLOADS: &str = "uploads";
/// Tag of remote command execution.
pub const EXEC: &str = "exec";
/// Tag of routes without authentication.
pub const PUBLIC: &str = "public";
/// Tag of the tus 1.0 resumable upload routes.
pub const TUS: &str = "tus";
/// Tag of the IETF resumable-upload draft's routes.
pub const RESUMABLE: &str = "resumable";
/// Tag of account administration (admin role only).
pub const ADMIN: &str = "admin";
/// Tag of the owner's share link routes.
pub const SHARES: &str = "shares";
/// Tag of the public share link routes (`/s/{id}…`).
pub const SHARED: &str = "shared";
