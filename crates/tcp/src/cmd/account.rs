//! The user's own account: `passwd`, and the share links: `share_create`, `share_list`,
//! `share_revoke`.

use std::net::IpAddr;

use ferry_core::service::share::parse_lifetime;
use ferry_core::{Error, Session, ShareOptions};
use ferry_proto::{EmptyReply, Frame, ShareReply, SharesReply};

use crate::reply;

/// `passwd`: changes the session user's password after checking the current one (from
/// `source`, for the failed-login throttle); all the account's bearer tokens are revoked.
pub async fn passwd(session: &Session, source: IpAddr, current: &str, new: &str) -> Frame {
    match session.change_password(source, current, new, None).await {
        Ok(()) => reply::ok(&EmptyReply {}),
        Err(e) => reply::error(&e),
    }
}

/// The fields of `share_create`.
#[derive(Debug)]
pub struct NewShare {
    /// The file or folder.
    pub path: String,
    /// `7d`-style lifetime.
    pub expires: Option<String>,
    /// The link's password.
    pub password: Option<String>,
    /// Downloads allowed.
    pub max_downloads: Option<u64>,
    /// A drop box.
    pub upload: bool,
}

/// `share_create`: a new link.
pub async fn share_create(session: &Session, new: NewShare) -> Result<Frame, Error> {
    let options = ShareOptions {
        path: new.path,
        expires_in: new.expires.as_deref().map(parse_lifetime).transpose()?,
        password: new.password,
        max_downloads: new.max_downloads,
        upload: new.upload,
    };
    let share = session.share_create(options).await?;
    Ok(reply::ok(&ShareReply { share }))
}

/// `share_list`: the user's links.
pub async fn share_list(session: &Session) -> Result<Frame, Error> {
    let shares = session.shares().await?;
    Ok(reply::ok(&SharesReply { shares }))
}

/// `share_revoke`: one of the user's links stops working.
pub async fn share_revoke(session: &Session, id: &str) -> Result<Frame, Error> {
    session.share_revoke(id).await?;
    Ok(reply::ok(&EmptyReply {}))
}
