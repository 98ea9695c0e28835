//! The shared pieces of the OpenAPI document that handlers name in their `#[utoipa::path]`:
//! [`tags`], the reusable [`components`] and each operation's [`errors`]; [`optional_body`]
//! tidies how utoipa spells an optional raw body. A leaf: it imports nothing from `routes`, so
//! `routes` can use it while [`crate::openapi`], which lists the routes, assembles the whole
//! document from both.

pub mod components;
pub mod errors;
pub mod optional_body;
pub mod tags;

pub use components::{Binary, Created, Errors, ResumableErrors, TusErrors};
pub use errors::{
    AccountReadErrors, AdminErrors, AdminJsonErrors, CancelUploadErrors, ChunkErrors,
    CreateUploadErrors, DeleteErrors, DownloadErrors, ExecErrors, ListHomeErrors, LoginErrors,
    LogoutErrors, MkdirErrors, MoveErrors, PasswordErrors, PathReadErrors, PublicErrors,
    PutFileErrors, UploadReadErrors,
};
pub use errors::{CreateShareErrors, RevokeShareErrors, SearchErrors, ShareLinkErrors};
