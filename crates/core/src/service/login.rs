//! SCRAM-SHA-256 login over any door that can carry two round trips.
//!
//! An unknown (or invalid) user name gets decoy credentials derived from the server secret,
//! so the exchange runs the same code, costs the same and fails at the same step with the same
//! `auth_failed` as a wrong password.

use std::net::IpAddr;
use std::time::Instant;

use super::metrics::{self, LoginMethod};
use super::{Ferry, Session};
use crate::auth::MECHANISM;
use crate::auth::credentials::ScramCredentials;
use crate::auth::scram::{self, ServerFirst};
use crate::username::Username;
use crate::{Error, Result};

/// A login between its two round trips.
#[derive(Debug)]
pub struct LoginPending {
    name: String,
    user: Option<Username>,
    state: ServerFirst,
    source: IpAddr,
}

impl Ferry {
    /// Handles the client-first message; returns the server-first message to send.
    pub async fn login_start(
        &self,
        source: IpAddr,
        mechanism: &str,
        client_first: &str,
    ) -> Result<(LoginPending, String)> {
        let started = self.scram_first(source, mechanism, client_first).await;
        if let Err(e) = &started {
            metrics::refused_by_limit(e);
            metrics::login(LoginMethod::Scram, Some(e));
        }
        started
    }

    async fn scram_first(
        &self,
        source: IpAddr,
        mechanism: &str,
        client_first: &str,
    ) -> Result<(LoginPending, String)> {
        if mechanism != MECHANISM {
            return Err(Error::BadRequest(format!(
                "unsupported mechanism; use {MECHANISM}"
            )));
        }
        let first = scram::parse_client_first(client_first)?;
        let name = first.username.clone();
        self.inner.throttle.check(source, &name, Instant::now())?;
        let account = match Username::try_from(name.as_str()) {
            Ok(user) => self.inner.meta.account(&user).await?,
            Err(_) => None,
        };
        let (user, creds) = match account {
            Some(a) => (Some(a.name), a.credentials),
            None => (None, ScramCredentials::decoy(&self.inner.secret, &name)),
        };
        let (state, server_first) = scram::server_first(first, &creds, None)?;
        Ok((
            LoginPending {
                name,
                user,
                state,
                source,
            },
            server_first,
        ))
    }

    /// Checks the client's proof; on success returns the session and the server-final message
    /// (the server's own proof).
    pub async fn login_finish(
        &self,
        pending: LoginPending,
        client_final: &str,
    ) -> Result<(Session, String)> {
        let finished = self.scram_final(pending, client_final).await;
        metrics::login(LoginMethod::Scram, finished.as_ref().err());
        finished
    }

    async fn scram_final(
        &self,
        pending: LoginPending,
        client_final: &str,
    ) -> Result<(Session, String)> {
        let LoginPending {
            name,
            user,
            state,
            source,
        } = pending;
        let verified = state.verify_client_final(client_final);
        let (user, server_final) = match (verified, user) {
            (Ok(server_final), Some(user)) => (user, server_final),
            (Err(e @ Error::BadRequest(_)), _) => return Err(e),
            _ => return Err(self.login_failed(source, &name)),
        };
        let session = self.login_succeeded(source, &name, user, true).await?;
        Ok((session, server_final))
    }

    /// What every refused login does, whatever the method: counted by the throttle against
    /// the pair (source, `name`), and audited. Returns the error to answer.
    pub(super) fn login_failed(&self, source: IpAddr, name: &str) -> Error {
        self.inner
            .throttle
            .record_failure(source, name, Instant::now());
        crate::audit::audit!(
            "login",
            name,
            tracing::field::display(source),
            result = "auth_failed"
        );
        Error::AuthFailed
    }

    /// What every accepted login does: the throttle forgets the pair's failures, the home is
    /// made if missing, the login is audited (or, for a remembered Basic check, one debug line:
    /// Basic repeats the login on every request), and the session is opened from `source`.
    pub(super) async fn login_succeeded(
        &self,
        source: IpAddr,
        name: &str,
        user: Username,
        audited: bool,
    ) -> Result<Session> {
        self.inner.throttle.record_success(source, name);
        self.inner.files.create_home(&user).await?;
        if audited {
            crate::audit::audit!(
                "login",
                user.as_str(),
                tracing::field::display(source),
                result = "ok"
            );
        } else {
            tracing::debug!(user = user.as_str(), %source, result = "ok", cached = true, "login");
        }
        let mut session = Session::new(self.clone(), user);
        session.set_source(source);
        Ok(session)
    }
}
