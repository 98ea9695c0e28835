//! The start of a session: `hello`, then up to [`MAX_LOGIN_ATTEMPTS`] SCRAM exchanges.

use ferry_core::{Error, Session};
use ferry_proto::{
    AuthFinishReply, AuthStartReply, HelloReply, MAX_HEADER_LEN, MAX_PAYLOAD_LEN, MECHANISM,
    PROTOCOL_VERSION, Request,
};

use super::{End, Handler};
use crate::reply;

/// Logins a connection may attempt before it is closed.
const MAX_LOGIN_ATTEMPTS: u32 = 3;

/// What `hello` is answered with.
fn hello() -> HelloReply {
    HelloReply {
        version: PROTOCOL_VERSION,
        server: concat!("ferry/", env!("CARGO_PKG_VERSION")).into(),
        max_header: MAX_HEADER_LEN,
        max_payload: MAX_PAYLOAD_LEN,
        mechanisms: vec![MECHANISM.into()],
    }
}

impl<S: ferry_net::Io> Handler<S> {
    /// Hello, then SCRAM. Returns the logged-in session.
    pub(super) async fn handshake(&mut self) -> Result<Session, End> {
        let frame = self.next().await?;
        match Request::from_header(&frame.header) {
            Ok(Request::Hello { version, .. }) if version == PROTOCOL_VERSION => {
                self.send(reply::ok(&hello())).await?;
            }
            Ok(Request::Hello { version, .. }) => {
                self.send(reply::error(&Error::UnsupportedVersion(version)))
                    .await?;
                return Err(End::Refused("unsupported_version"));
            }
            _ => {
                self.send(reply::error_code("bad_request", "send hello first"))
                    .await?;
                return Err(End::Refused("no hello"));
            }
        }
        let mut attempts = 0;
        loop {
            let frame = self.next().await?;
            let (mechanism, message) = match Request::from_header(&frame.header) {
                Ok(Request::AuthStart { mechanism, message }) => (mechanism, message),
                Ok(Request::Bye) => {
                    let _ = self.send(reply::ok_empty()).await;
                    return Err(End::Bye);
                }
                Ok(_) => {
                    self.send(reply::error(&Error::NotAuthenticated)).await?;
                    continue;
                }
                Err(e) => {
                    self.send(reply::error_code(e.code(), &e.to_string()))
                        .await?;
                    continue;
                }
            };
            match self.login(&mechanism, &message).await {
                Ok(Some(session)) => return Ok(session),
                Ok(None) => {}
                Err(e) => self.send(reply::error(&e)).await?,
            }
            attempts += 1;
            if attempts >= MAX_LOGIN_ATTEMPTS {
                return Err(End::Refused("too many login attempts"));
            }
        }
    }

    /// One SCRAM exchange. `Ok(None)`: it failed and the failure was already sent.
    async fn login(&mut self, mechanism: &str, message: &str) -> Result<Option<Session>, Error> {
        let lost = |_| Error::BadRequest("connection lost".into());
        let (pending, server_first) = self
            .ferry
            .login_start(self.peer.ip(), mechanism, message)
            .await?;
        let start = AuthStartReply {
            message: server_first,
        };
        self.send(reply::ok(&start)).await.map_err(lost)?;
        let frame = self.next().await.map_err(lost)?;
        let client_final = match Request::from_header(&frame.header) {
            Ok(Request::AuthFinish { message }) => message,
            _ => return Err(Error::BadRequest("expected auth_finish".into())),
        };
        match self.ferry.login_finish(pending, &client_final).await {
            Ok((session, server_final)) => {
                let finish = AuthFinishReply {
                    message: server_final,
                    user: session.user().clone(),
                    cwd: session.cwd().clone(),
                };
                self.send(reply::ok(&finish)).await.map_err(lost)?;
                Ok(Some(session))
            }
            Err(e) => {
                let _ = self.send(reply::error(&e)).await;
                Ok(None)
            }
        }
    }
}
