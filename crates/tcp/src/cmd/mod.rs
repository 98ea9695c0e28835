//! The operations, one small file per family. Each command turns a typed request into one call
//! on [`ferry_core::Session`] and its result into a typed reply frame through [`crate::reply`];
//! none of them touches the socket, so the session loop alone decides when frames are read and
//! sent.
//!
//! - `files`: `pwd`, `cd`, `ls`, `stat`, `mkdir`, `rm`, `mv`, `quota`;
//! - `upload`: `upload_create`, `upload_list`, `upload_status`, `upload_write`,
//!   `upload_finish`, `upload_cancel`, `put` — the only file that calls the core's upload API;
//! - [`download`]: `get`, as frames the session sends while it reads the next chunk;
//! - [`exec`]: `exec`, the command's events as frames;
//! - [`account`]: `passwd`, the user's own account; `share_*`, their share links.
//!
//! `hello`, `auth_*` and `bye` belong to the session itself.

pub mod account;
pub mod download;
pub mod exec;
mod files;
pub(crate) mod upload;

use bytes::Bytes;
use ferry_core::{CreateOptions, Error, Session};
use ferry_proto::{Frame, Op, Request};

use crate::reply;

/// Runs a request that is answered by exactly one frame; errors become error frames.
pub async fn dispatch(session: &mut Session, request: Request, payload: Bytes) -> Frame {
    run(session, request, payload)
        .await
        .unwrap_or_else(|e| reply::error(&e))
}

/// The refusal of a payload on a request that takes none.
pub fn no_payload(op: Op) -> Error {
    Error::BadRequest(format!("{op} takes no payload"))
}

async fn run(session: &mut Session, request: Request, payload: Bytes) -> Result<Frame, Error> {
    if !payload.is_empty() && !matches!(request, Request::UploadWrite { .. } | Request::Put { .. })
    {
        return Err(no_payload(request.op()));
    }
    match request {
        Request::Pwd => Ok(files::pwd(session)),
        Request::Cd { path } => files::cd(session, &path).await,
        Request::Ls { path, after, limit } => files::ls(session, path, after, limit).await,
        Request::Stat { path, digest } => files::stat(session, &path, digest).await,
        Request::Mkdir { path, parents } => files::mkdir(session, &path, parents).await,
        Request::Rm { path, recursive } => files::rm(session, &path, recursive).await,
        Request::Mv {
            from,
            to,
            overwrite,
        } => files::mv(session, &from, &to, overwrite).await,
        Request::Quota => files::quota(session).await,
        Request::Find {
            pattern,
            path,
            cursor,
            limit,
        } => files::find(session, &pattern, path, cursor, limit).await,
        Request::UploadCreate {
            path,
            size,
            md5,
            overwrite,
            parents,
        } => {
            let options = CreateOptions { overwrite, parents };
            upload::create(session, &path, size, md5, options).await
        }
        Request::UploadList => upload::list(session).await,
        Request::UploadStatus { id } => upload::status(session, &id).await,
        // PROTOCOL §9.3: a chunk holds 1 to 1 MiB bytes; an empty one would only be an
        // offset probe, which `upload_status` is.
        Request::UploadWrite { .. } if payload.is_empty() => Err(Error::BadRequest(
            "upload_write carries its chunk as the payload: 1 to 1048576 bytes".into(),
        )),
        Request::UploadWrite { id, offset, crc32c } => {
            upload::write(session, &id, offset, crc32c, payload).await
        }
        Request::UploadFinish { id, md5 } => upload::finish(session, &id, md5).await,
        Request::UploadCancel { id } => upload::cancel(session, &id).await,
        Request::Put {
            path,
            md5,
            crc32c,
            overwrite,
            parents,
        } => {
            let options = CreateOptions { overwrite, parents };
            upload::put(session, &path, md5, crc32c, options, payload).await
        }
        Request::ShareCreate {
            path,
            expires,
            password,
            max_downloads,
            upload,
        } => {
            let new = account::NewShare {
                path,
                expires,
                password,
                max_downloads,
                upload,
            };
            account::share_create(session, new).await
        }
        Request::ShareList => account::share_list(session).await,
        Request::ShareRevoke { id } => account::share_revoke(session, &id).await,
        Request::Hello { .. } | Request::AuthStart { .. } | Request::AuthFinish { .. } => {
            Err(Error::BadRequest("already logged in".into()))
        }
        Request::Get { .. } | Request::Exec { .. } | Request::Passwd { .. } | Request::Bye => {
            Err(Error::BadRequest("handled by the connection".into()))
        }
    }
}
