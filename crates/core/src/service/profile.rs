//! A user's view of their own account, so a client (the web page) can tell what to offer
//! before trying: what they may run and how much space they have.

use crate::exec::ExecPolicy;
use crate::model::QuotaInfo;
use crate::username::Username;
use crate::{Result, Session};

/// The logged-in user's own account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The user's name.
    pub user: Username,
    /// What the user may run *on this server*: `Off` when the account allows nothing or the
    /// server has exec turned off (`--no-exec`), since every request would be refused.
    pub exec: ExecPolicy,
    /// The account's ceiling on a command's wall-clock limit, in seconds, if any.
    pub exec_max_timeout_secs: Option<u64>,
    /// Used, reserved and limit.
    pub quota: QuotaInfo,
    /// Whether the user has the admin role.
    pub admin: bool,
}

impl Session {
    /// The session's own account: name, effective exec policy, quota.
    pub async fn profile(&self) -> Result<Profile> {
        let account = self.account().await?;
        let exec = if self.ferry.inner.config.exec.launcher.is_some() {
            account.exec
        } else {
            ExecPolicy::Off
        };
        Ok(Profile {
            user: self.user.clone(),
            exec,
            exec_max_timeout_secs: account.exec_max_timeout_secs,
            quota: self.quota().await?,
            admin: account.admin,
        })
    }
}
