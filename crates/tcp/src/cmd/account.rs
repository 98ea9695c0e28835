//! The user's own account: `passwd`.

use std::net::IpAddr;

use ferry_core::Session;
use ferry_proto::{EmptyReply, Frame};

use crate::reply;

/// `passwd`: changes the session user's password after checking the current one (from
/// `source`, for the failed-login throttle); all the account's bearer tokens are revoked.
pub async fn passwd(session: &Session, source: IpAddr, current: &str, new: &str) -> Frame {
    match session.change_password(source, current, new, None).await {
        Ok(()) => reply::ok(&EmptyReply {}),
        Err(e) => reply::error(&e),
    }
}
